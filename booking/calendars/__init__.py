"""Consultants' own calendars: their busy times (CalDAV or a private iCalendar feed) cached
in the database and counted by the free-slot computation, and bookings copied back.

``reading`` turns iCalendar text into busy intervals (pure), ``sources`` talks to the
servers, ``store`` keeps the cache and says whose calendar can be trusted, ``refresh``
runs the leased refresh jobs, ``writeback`` copies bookings into CalDAV calendars.
"""
