"""The semantic-layer workbench page (a file, so that it has an address of its own)."""

from nlq.ui import workbench

workbench.render()
