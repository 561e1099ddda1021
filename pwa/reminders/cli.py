from flask.cli import AppGroup

reminders = AppGroup("reminders", help="Send reminders.")
