"""After treatment: the Follow-up tab's pages (due calls, treatments, adverse events, lookback
and recall), one module each, and their forms. The tab itself is ui/aftercare_tab.py."""
