"""The Records tab: search every screening; for a finished one, its stored sheet, the signed
copy coming back, FHIR and CSV exports, and (for clinicians) an amendment."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QLineEdit, QVBoxLayout

from ... import paths
from ...records import StoreError
from ...records.accounts import PermissionDenied
from ...screening.model import Outcome
from ...wording import say
from ..forms import button_row, labelled_form
from ..geometry import fit_to_screen
from ..tables import _fill, _table, selected_key
from . import Tab
from .home import status_label

SHOWN_AT_MOST = 200  # the store's search limit: the status bar says when the list is cut


def paper_label(events: list[str], status: str) -> str:
    """What happened to a finished screening's sheet on paper, in a few words."""
    if status != "finished" and not events:
        return ""
    if "printed" in events:
        parts = [say("workstation.paper.printed")]
    elif "saved" in events:
        parts = [say("workstation.paper.saved")]
    elif "not_printed" in events:
        parts = [say("workstation.paper.not_printed")]
    else:
        parts = [say("workstation.paper.neither")]
    if "signed_copy_received" in events:
        parts.append(say("workstation.paper.signed_copy"))
    return ", ".join(parts)


class RecordsTab(Tab):
    amend_requested = Signal(str)  # a finished screening's id
    exposes = ("search_name", "search_dob", "search_from", "search_to", "search_outcome", "results", "run_search",
               "open_sheet", "signed_copy_received", "export_fhir", "export_csv")

    def __init__(self, store, staff, dialogs, content, parent=None):
        super().__init__(store, staff, dialogs, parent)
        self.content = content
        self.search_name = QLineEdit(self)
        self.search_dob = QLineEdit(self)
        self.search_dob.setPlaceholderText(say("workstation.records.date_hint"))
        self.search_from = QLineEdit(self)
        self.search_from.setPlaceholderText(say("workstation.records.from_hint"))
        self.search_to = QLineEdit(self)
        self.search_to.setPlaceholderText(say("workstation.records.to_hint"))
        self.search_outcome = QComboBox(self)
        self.search_outcome.addItem(say("workstation.records.any_outcome"), "")
        for o in Outcome:
            self.search_outcome.addItem(o.label, o.value)
        form = labelled_form(self, [(say("workstation.records.name"), self.search_name),
                                    (say("workstation.records.date_of_birth"), self.search_dob),
                                    (say("workstation.records.treatment_from"), self.search_from),
                                    (say("workstation.records.treatment_to"), self.search_to),
                                    (say("workstation.records.outcome"), self.search_outcome)],
                             say("workstation.records.search_prefix"))
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(250)
        self.search_timer.timeout.connect(self.run_search)
        for edit in (self.search_name, self.search_dob, self.search_from, self.search_to):
            edit.textEdited.connect(lambda _t: self.search_timer.start())
        self.search_outcome.currentIndexChanged.connect(lambda _i: self.search_timer.start())
        self.results = _table([say("workstation.column.patient"), say("workstation.column.date_of_birth"),
                               say("workstation.column.treatment_date"), say("workstation.column.outcome"),
                               say("workstation.column.status"), say("workstation.column.paper"),
                               say("workstation.column.amends")], say("workstation.records.list_name"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        buttons: list[tuple[str, Callable[[], object]]] = [
            (say("workstation.records.open_sheet"), self.open_sheet),
            (say("workstation.records.signed_copy"), self.signed_copy_received),
            (say("workstation.records.export_fhir"), self.export_fhir),
            (say("workstation.records.export_csv"), self.export_csv)]
        if staff.can("sign"):  # only clinicians amend a finished screening
            buttons.append((say("workstation.records.amend"), self.amend_selected))
        layout.addLayout(button_row(self, buttons))
        layout.addWidget(self.results)
        self.run_search()

    def refresh(self) -> None:
        self.run_search()

    def _search_filters(self) -> dict:
        return {"name": self.search_name.text(), "date_of_birth": self.search_dob.text().strip(),
                "date_from": self.search_from.text().strip(), "date_to": self.search_to.text().strip(),
                "outcome": self.search_outcome.currentData()}

    def run_search(self) -> None:
        try:
            rows = self.store.search(**self._search_filters())
        except StoreError as exc:
            self.status.emit(say("workstation.records.search_failed", problem=exc))
            return
        paper = self.store.paper_summaries([r["id"] for r in rows])
        _fill(self.results, [[r["patient_name"], r["date_of_birth"], r["treatment_date"],
                              Outcome(r["outcome"]).label if r["outcome"] else "", status_label(r["status"]),
                              paper_label(paper.get(r["id"], []), r["status"]),
                              say("workstation.yes") if r["amends"] else ""] for r in rows], [r["id"] for r in rows])
        self.status.emit(say("workstation.records.found_first", count=len(rows)) if len(rows) == SHOWN_AT_MOST
                         else say("workstation.records.found", count=len(rows)))

    def finished_selected(self):
        """The selected screening's finished record; None (and why) when it has none."""
        sid = selected_key(self.results)
        if not sid:
            return None
        try:
            return self.store.record(sid)
        except StoreError:
            self.dialogs.tell(self, say("workstation.records.not_finished_title"),
                              say("workstation.records.not_finished"))
            return None

    def amend_selected(self) -> None:
        record = self.finished_selected()
        if record is not None:
            self.amend_requested.emit(record.screening_id)

    def open_sheet(self) -> QDialog | None:
        record = self.finished_selected()
        if record is None:
            return None
        from ..sheet_view import SheetPreview
        self.store.log(self.staff, "opened", record.screening_id, {"for": "sheet"})
        # Made for the window, not the tab: the lock and sign-out hide the window's own windows.
        dialog = QDialog(self.window())
        dialog.setWindowTitle(self._sheet_title(record))
        preview = SheetPreview(self.dialogs, dialog)
        preview.set_pdf(record.pdf, f"sheet-{record.screening_id[:8]}")
        preview.printed.connect(lambda n: self.store.log(self.staff, "printed", record.screening_id, {"pages": n}))
        preview.saved.connect(lambda p: self.store.log(self.staff, "exported", record.screening_id, {"as": "pdf"}))
        QVBoxLayout(dialog).addWidget(preview)
        fit_to_screen(dialog, 800, 900)
        dialog.show()
        return dialog

    def _sheet_title(self, record) -> str:
        """Which sheet this is: as printed (when, by whom), or as recorded and why not printed."""
        events = self.store.paper_events(record.screening_id)
        printed = [e for e in events if e["event"] == "printed" and e.get("sheet_sha256") == record.pdf_sha256]
        if printed:
            how = say("workstation.sheet.as_printed", day=printed[0]["at"][:10], who=printed[0]["display_name"])
        else:
            why = next((e["detail"] for e in events if e["event"] == "not_printed"), "")
            saved = any(e["event"] == "saved" for e in events)
            paper = (say("workstation.sheet.saved_not_printed") if saved
                     else say("workstation.sheet.not_printed_because", reason=why) if why
                     else say("workstation.sheet.not_printed"))
            how = say("workstation.sheet.as_recorded", day=record.finished_at[:10], paper=paper)
        return say("workstation.sheet.title", how=how, digest=record.pdf_sha256[:12])

    def signed_copy_received(self) -> bool:
        """The patient's signed paper came back: recorded, optionally with a scan (PDF)."""
        record = self.finished_selected()
        if record is None:
            return False
        path = self.dialogs.ask_open_file(self, say("workstation.records.scan_title"),
                                          say("workstation.records.pdf_pattern"))
        try:
            scan = Path(path).read_bytes() if path else None
            self.store.record_paper(self.staff, record.screening_id, "signed_copy_received", scan=scan)
        except OSError as exc:
            self.dialogs.tell(self, say("workstation.records.not_recorded"),
                              say("workstation.records.scan_unreadable", problem=exc.strerror or exc), error=True)
            return False
        except (StoreError, PermissionDenied) as exc:
            self.dialogs.tell(self, say("workstation.records.not_recorded"), str(exc), error=True)
            return False
        self.run_search()
        return True

    def export_fhir(self) -> None:
        from ...records.export import export_screening
        record = self.finished_selected()
        if record is None:
            return
        path = self.dialogs.ask_file(self, say("workstation.records.fhir_title"),
                                     str(Path.home() / f"{record.screening_id}.json"),
                                     say("workstation.records.fhir_pattern"))
        if path:
            bundle = export_screening(self.store, record.screening_id, self.content, actor=self.staff)
            self._write(Path(path), json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8"),
                        record.screening_id, "fhir")

    def export_csv(self) -> None:
        from ...records.export import csv_export
        path = self.dialogs.ask_file(self, say("workstation.records.csv_title"), str(Path.home() / "screenings.csv"),
                                     say("workstation.records.csv_pattern"))
        if path:
            rows = self.store.search(**self._search_filters(), limit=10_000_000)
            self._write(Path(path), csv_export(rows).encode("utf-8-sig"), None, "csv")

    def _write(self, path: Path, data: bytes, sid: str | None, kind: str) -> None:
        try:
            paths.write_atomically(path, data)
        except OSError as exc:
            self.dialogs.tell(self, say("workstation.records.not_exported"),
                              say("workstation.records.not_written", path=path, problem=exc.strerror or exc),
                              error=True)
            return
        self.store.log(self.staff, "exported", sid, {"as": kind})
