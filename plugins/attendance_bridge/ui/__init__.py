"""The reports inside the Airflow UI: a FastAPI app the project's Airflow plugin mounts on the API server."""
