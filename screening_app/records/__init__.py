"""Where screenings live: the store, drafts, the review queue, staff, settings, audit, export.

No Qt. StoreError lives here so callers can catch it without loading the database layer.
"""


class StoreError(Exception):
    """A fault staff can act on; `kind` is busy, unwritable, full, conflict or refused."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
