"""Booking domain: slots, holds, Zoom meetings and calendar files (no chat or channel code)."""
