"""The channel-neutral conversation flow."""
