"""Everything Qt: the wizard pages, the sheet preview and printing, dialogs."""
