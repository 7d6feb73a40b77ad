# The image every Airflow component of the district deployment runs (docker-compose.yml): the
# api-server, scheduler, dag-processor, triggerer, the Celery workers and the init services.
#
# Python 3.11 because requirements.txt is resolved for 3.11 (`make lock`, --python-version 3.11);
# an exact patch release and Debian release, so that rebuilding next month gives the same
# interpreter and system libraries that were tested, and bookworm because it is the Debian of the
# machines the tests run on. Bump the tag deliberately (and pin its digest where the registry is
# reachable: `FROM python:...@sha256:...`).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# curl for the health checks, the same commands as Airflow's own docker-compose file.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

# The dependencies are installed here, at build time, from the committed full resolution, and
# never when a container starts: every worker runs exactly the same packages, and a restart needs
# no package index. A layer of its own, so a code change does not reinstall them.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt \
    && pip check \
    && rm /tmp/requirements.txt

# The project is copied into the image at one root, not bind-mounted: the code reads include/sql/
# and expectations/ relative to plugins/.. (settings.PROJECT_ROOT), and every worker must run the
# same code as the scheduler that parsed the DAGs. A new version is a new image.
COPY dags/ /opt/attendance-bridge/dags/
COPY plugins/ /opt/attendance-bridge/plugins/
COPY include/ /opt/attendance-bridge/include/
COPY expectations/ /opt/attendance-bridge/expectations/
COPY deploy/load_demo_district.py /opt/attendance-bridge/deploy/load_demo_district.py
# Compiled once here: PYTHONDONTWRITEBYTECODE (above) would otherwise have every task process compile
# the project's modules again (pip already compiled the packages' own).
RUN python -m compileall -q /opt/attendance-bridge/dags /opt/attendance-bridge/plugins

# Airflow runs as an unprivileged user (uid 50000, group 0, as in Airflow's own image). The
# folders that docker-compose.yml mounts named volumes on are created here and owned by it, so a
# new volume starts with this owner; the airflow-init service repairs ownership of older volumes.
RUN useradd --uid 50000 --gid 0 --home-dir /opt/airflow --create-home airflow \
    && mkdir -p /opt/airflow/logs /opt/airflow/auth \
        /opt/attendance-bridge/staging /opt/attendance-bridge/reports \
    && chown -R airflow:0 /opt/airflow /opt/attendance-bridge/staging /opt/attendance-bridge/reports

# What bin/airflow sets for a checkout, for the image's copy of the project. docker-compose.yml
# sets the same folders again in the environment every component shares.
ENV AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/attendance-bridge/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/attendance-bridge/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PYTHONPATH=/opt/attendance-bridge/plugins

USER airflow
WORKDIR /opt/attendance-bridge
CMD ["airflow", "version"]
