"""The counter kiosk: a Textual app that takes an answer in one tap."""
