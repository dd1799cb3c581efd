"""nlq chat UI: `streamlit run app.py` (or `make demo`) on the demo warehouse.

Pages are mounted with st.navigation, so another page (an admin view of the
audit log, say) is one more st.Page in the list."""

from __future__ import annotations

import streamlit as st

from nlq.ui import chat

st.set_page_config(page_title="nlq 问数", page_icon="📊", layout="wide")
pages = [st.Page(chat.render, title="问数 · Ask", icon="💬", url_path="chat", default=True)]
st.navigation(pages, position="sidebar" if len(pages) > 1 else "hidden").run()
