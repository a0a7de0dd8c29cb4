"""A screening's life in one Qt-free home: its steps (as data), its evaluation, its actions.

`Flow` answers what each step lacks and where Next leads; `Case` carries out the actions
(save, hand over, claim, release, withdraw, review, finish) for the signed-in person with the
clinic's settings. The Qt wizard only shows pages and adds a save timer.
"""
from .case import Case
from .flow import NAVMAP, Draft, Evaluation, Flow, Step

__all__ = ["Case", "Draft", "Evaluation", "Flow", "NAVMAP", "Step"]
