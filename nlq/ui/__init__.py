"""The Streamlit front end; `app.py` at the top of the repository mounts its pages."""
