"""The SMS channel: a Flask webhook for Twilio that asks the question and reads replies."""
