"""The case file: documents, photos and voice notes people send, kept encrypted with the case."""
