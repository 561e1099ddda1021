"""Every record kind declared once: the check-in, the appointment, the medicine and its dose.

Each record (a Pydantic model) holds its fields, types, bounds, choices and messages. The JSON
API validates with it and answers from it, the OpenAPI components are its JSON schema, the
pages' forms are drawn from it (records/forms.py) and the offline outbox reads its field
types from static/js/record-fields.js, generated from it (`flask records build-js`).
"""
