"""What the bot tells people and staff outside a chat turn, as worker jobs: booking notices
(meeting links, calendar files), reminders and staff alerts. It knows no channel: messages
go into the outbox addressed by channel name."""
