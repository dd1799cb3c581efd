"""The audit log page (a file, so that it has an address of its own)."""

from nlq.ui import audit_page

audit_page.render()
