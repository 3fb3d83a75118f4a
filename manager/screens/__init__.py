"""The console's screens: the queue, statistics, and the dialogs they open."""
