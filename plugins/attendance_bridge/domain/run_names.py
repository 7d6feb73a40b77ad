"""A run's names on disk: a text as one path segment and back, a run folder's name, and the run ids the
project cannot serve.

Airflow lets whoever may trigger a DAG choose the run id (the REST API, ``airflow dags trigger --run-id``;
its default ``[scheduler] allowed_run_id_pattern`` is ``^[A-Za-z0-9_.~:+-]+$``), so two runs must never
share a folder, whatever their ids: a run folder's name is an injective function of (DAG id, run id).

- ``encoded``: every character of ``[A-Za-z0-9_.-]`` is kept, every other is written ``=XX`` per UTF-8
  byte (upper-case hex, as quoted-printable does: ``:`` is ``=3A``, ``+`` ``=2B``, ``=`` ``=3D``, ``~``
  ``=7E``), and so is a leading ``.``, so no name is ``.``, ``..`` or hidden. Not ``%``: the names
  are in the report pages' relative links, where a browser would decode ``%3A``. ``decoded`` is its
  inverse (``tests/domain/test_run_names.py`` proves ``decoded(encoded(x)) == x``).
- ``run_folder_name``: ``<encoded DAG id>~<encoded run id>``; ``~`` is never in an encoding, so the
  name splits back at its only ``~``.

Pure: no Airflow, no files (``reporting.run_folders`` lays the folders out with these names), so the
first task of a run can refuse an unservable run id without importing the reports' libraries.
"""

from __future__ import annotations

import string

# The characters a name keeps as they are (a leading "." excepted).
KEPT = frozenset(string.ascii_letters + string.digits + "_.-")
ESCAPE = "="
# Between the DAG id and the run id in a run folder's name; never in an encoding.
SEPARATOR = "~"
# The longest name a folder may have on Linux and most object stores (NAME_MAX), in bytes.
NAME_MAX = 255
_HEX = "0123456789ABCDEF"
# What a refused run id's message tells the person who triggered it.
_ADVICE = (
    "trigger it again with a run id of letters, digits and -_.:+~, or leave the run id empty so Airflow "
    "chooses one"
)


def encoded(text: str) -> str:
    """``text`` as one path segment of ``[A-Za-z0-9_.=-]``, reversibly (``decoded``)."""
    parts = []
    for position, character in enumerate(text):
        if character in KEPT and not (position == 0 and character == "."):
            parts.append(character)
        else:
            # surrogatepass: a lone surrogate (JSON allows "\ud800") still has bytes of its own.
            parts.extend(f"{ESCAPE}{byte:02X}" for byte in character.encode("utf-8", "surrogatepass"))
    return "".join(parts)


def decoded(segment: str) -> str:
    """The text ``encoded`` wrote as ``segment``; ValueError for anything ``encoded`` never writes."""
    data = bytearray()
    position = 0
    while position < len(segment):
        character = segment[position]
        if character == ESCAPE:
            digits = segment[position + 1 : position + 3]
            if len(digits) != 2 or any(digit not in _HEX for digit in digits):
                raise ValueError(f"{segment!r}: {ESCAPE} must be followed by two upper-case hex digits")
            data.append(int(digits, 16))
            position += 3
            continue
        if character not in KEPT or (position == 0 and character == "."):
            raise ValueError(f"{segment!r}: {character!r} at {position} is never written by encoded()")
        data.extend(character.encode("ascii"))
        position += 1
    text = data.decode("utf-8", "surrogatepass")
    if encoded(text) != segment:  # e.g. "=41" for "A": a second spelling would break injectivity's proof
        raise ValueError(f"{segment!r} is not how encoded() writes {text!r}")
    return text


def run_folder_name(dag_id: str, run_id: str) -> str:
    """A run's folder name: ``<encoded DAG id>~<encoded run id>``, one per (DAG id, run id)."""
    return f"{encoded(dag_id)}{SEPARATOR}{encoded(run_id)}"


def run_of_folder_name(name: str) -> tuple[str, str]:
    """(DAG id, run id) of a name ``run_folder_name`` wrote; ValueError for any other name."""
    dag_part, separator, run_part = name.partition(SEPARATOR)
    if not separator:
        raise ValueError(f"{name!r} has no {SEPARATOR}: it is not a run folder's name")
    return decoded(dag_part), decoded(run_part)


def unservable_run_id(dag_id: str, run_id: str) -> str | None:
    """Why the project cannot serve a run of ``dag_id`` with this id (a message for the person who triggered it),
    or None when it can.

    Refused: an empty id, ``.`` and ``..`` (Airflow's own XCom API takes the run id as a URL path
    segment and cannot address them), an id with ``/`` (a separator in those URLs, in Great
    Expectations' store and in object store keys), and an id whose run folder's name would be longer
    than a folder name may be (NAME_MAX, 255 bytes).
    """
    if run_id in ("", ".", ".."):
        why = "Airflow's own task API cannot address a run with this id"
    elif "/" in run_id:
        why = "a run id with / cannot be addressed by Airflow's task API, nor be a folder of the run's files"
    elif len(run_folder_name(dag_id, run_id).encode()) > NAME_MAX:
        length = len(run_folder_name(dag_id, run_id))
        why = (
            f"the name of the run's folder (DAG {dag_id}, then the run id with every character other than letters, "
            f"digits and -_. written as three) would be {length} characters, more than the {NAME_MAX} a folder name "
            "may have"
        )
    else:
        return None
    return f"The run id {run_id!r} of {dag_id} cannot be used: {why}. Nothing was done; {_ADVICE}."
