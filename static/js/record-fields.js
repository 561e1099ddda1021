// Generated from pwa/records by `flask records build-js`; do not edit by hand.
// The outbox (sync-core.js) reads it to send form answers as the API's JSON types.
self.UprightRecordFields = {
  "entries": {
    "integer": [
      "acetaminophen_doses",
      "brace_hours",
      "minutes_walked",
      "nsaid_doses",
      "opioid_doses",
      "other_pain_med_doses",
      "pain",
      "pain_activity",
      "pain_worst"
    ],
    "list": [
      "locations",
      "warning_signs"
    ]
  },
  "appointments": {
    "integer": [
      "version"
    ],
    "list": []
  }
};
