"""The WhatsApp channel through Twilio: signed webhooks in, TwiML and REST messages out.

``webhook`` attaches the Flask endpoints, ``parsing`` reads Twilio's form fields,
``render`` turns replies into WhatsApp messages, ``content`` holds the optional Content
templates, ``documents`` publishes files held as bytes so Twilio can fetch them,
``sender`` sends proactive messages for the outbox and ``status`` records Twilio's
delivery reports.
"""

CHANNEL = "whatsapp"
