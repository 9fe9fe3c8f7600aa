"""The relations pages, by sub-domain: contacts, cadence, departures, set-up, public pages."""
