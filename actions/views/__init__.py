"""The actions app's pages, by sub-domain: actions, the catalogue and campaigns, the report."""
