"""A FHIR bulk export (NDJSON files, one resource type per file as the Bulk Data spec writes them) streamed into
chunks of a few hundred patients, each the lines of its patients' records of the types the criteria use.

Nothing is loaded whole: the Patient files are read first (a line each, to number the patients), then every other
file line by line; each kept line goes to its chunk's temporary file, and a chunk is handed over (as bytes) only once
every file has been read. A resource's patient is read from its `subject` or `patient` reference; lines of the types
no criterion uses are counted, never parsed."""

import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError

from ehr.reader import USED_TYPES

# The reference to the patient, as bulk exports write it: "subject": {"reference": "Patient/<id>"} (or "patient").
PATIENT_REFERENCE = re.compile(rb'"(?:subject|patient)"\s*:\s*\{[^{}]*?"reference"\s*:\s*"(?:[^"]*/)?Patient/([^"/]+)"')
OPEN_FILES = 64  # chunk files kept open at once while the export is read


@dataclass(frozen=True)
class Source:
    """One NDJSON file of the export: its name (for error messages only, never stored) and how to open it."""

    name: str
    open: Callable  # () -> a binary file object


@dataclass
class Partition:
    """What reading the export found: the chunks (number -> patient count), and what was counted or left out."""

    chunk_size: int
    directory: Path
    patients: dict = field(default_factory=dict)  # FHIR patient id -> chunk number
    per_chunk: Counter = field(default_factory=Counter)
    resources_read: int = 0
    resources_kept: int = 0
    types: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    _handles: dict = field(default_factory=dict)

    def chunk_records(self) -> Iterator[tuple[int, int, bytes]]:
        """(number, patients, the chunk's lines), one chunk at a time."""
        self._close()
        for number in sorted(self.per_chunk):
            yield number, self.per_chunk[number], self._path(number).read_bytes()

    def _path(self, number):
        return self.directory / f"chunk-{number:06d}.ndjson"

    def _write(self, number, line):
        handle = self._handles.get(number)
        if handle is None:
            if len(self._handles) >= OPEN_FILES:
                self._close()
            handle = self._handles[number] = self._path(number).open("ab")
        handle.write(line if line.endswith(b"\n") else line + b"\n")
        self.resources_kept += 1

    def _close(self):
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def sources_from_paths(paths):
    """A folder of NDJSON files, a zip of them, or NDJSON files named one by one."""
    sources = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            sources += [_file_source(p) for p in sorted(path.iterdir()) if p.name.lower().endswith(".ndjson")]
        elif zipfile.is_zipfile(path):
            sources += sources_from_zip(path)
        elif path.is_file():
            sources.append(_file_source(path))
        else:
            raise ValidationError({"files": f"{given} is not a file or a folder."})
    return sources


def sources_from_uploads(uploads):
    """Uploaded files (Django's): NDJSON files, or one zip of them. Opened from the upload's temporary file (or its
    bytes in memory), so that reading a source twice never closes, and so deletes, the upload."""
    sources = []
    for upload in uploads:
        if upload.name.lower().endswith(".zip"):
            sources += sources_from_zip(upload.file)
        elif hasattr(upload, "temporary_file_path"):
            sources.append(_file_source(Path(upload.temporary_file_path()), name=upload.name))
        else:
            sources.append(Source(upload.name, lambda upload=upload: io.BytesIO(upload.file.getvalue())))
    return sources


def _file_source(path, name=None):
    return Source(name or path.name, lambda: path.open("rb"))


def sources_from_zip(file):
    """The NDJSON members of a zip (a path or a file object); read one at a time, never extracted whole."""
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise ValidationError({"files": "The zip file cannot be read."}) from None
    members = [info for info in archive.infolist() if not info.is_dir() and info.filename.lower().endswith(".ndjson")]
    check_size(sum(info.file_size for info in members), what="The zip's files, unpacked,")
    return [Source(info.filename, lambda info=info: archive.open(info)) for info in members]


def check_size(size, what="The export"):
    limit = settings.PRESCREEN_UPLOAD_MAX_BYTES
    if size > limit:
        raise ValidationError({"files": f"{what} take {size / 2**20:,.0f} MB; the limit is {limit / 2**20:,.0f} MB."})


def partition(sources, *, chunk_size, directory):
    """Read the export into chunk files under `directory`; returns the Partition."""
    if not sources:
        raise ValidationError({"files": "The export holds no NDJSON files (.ndjson): choose the bulk export's files."})
    found = Partition(chunk_size=chunk_size, directory=Path(directory))
    found.directory.mkdir(parents=True, exist_ok=True)
    typed = [(source, _type_of(source)) for source in sources]
    for source, kind in typed:
        if kind == "Patient":
            _read_patients(source, found)
    if not found.patients:
        raise ValidationError({"files": "The export holds no Patient resources: include its Patient file."})
    for source, kind in typed:
        if kind != "Patient":
            _read_records(source, kind, found)
    return found


def _type_of(source):
    """The resource type of a file, from its first resource (the Bulk Data spec: one type per file)."""
    with source.open() as handle:
        for line in handle:
            if line.strip():
                resource = _parse(line, source.name)
                kind = resource.get("resourceType") if isinstance(resource, dict) else None
                if not isinstance(kind, str):
                    raise ValidationError({"files": f"{source.name} does not hold FHIR resources (no resourceType)."})
                return kind
    return None


def _parse(line, name):
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        raise ValidationError({"files": f"{name} is not NDJSON: a line is not JSON."}) from None


def _read_patients(source, found):
    with source.open() as handle:
        for line in handle:
            if not line.strip():
                continue
            found.resources_read += 1
            found.types["Patient"] += 1
            resource = _loads(line, found)
            if resource is None:
                continue
            key = str(resource.get("id") or "")
            if resource.get("resourceType") != "Patient" or not key:
                found.problems["Patient file lines that are not a Patient with an id"] += 1
            elif key in found.patients:
                found.problems["Patients listed twice (the second left out)"] += 1
            else:
                number = len(found.patients) // found.chunk_size
                found.patients[key] = number
                found.per_chunk[number] += 1
                found._write(number, line)


def _read_records(source, kind, found):
    used = kind in USED_TYPES
    with source.open() as handle:
        for line in handle:
            if not line.strip():
                continue
            found.resources_read += 1
            found.types[kind] += 1
            if not used:
                continue
            match = PATIENT_REFERENCE.search(line)
            key = match.group(1).decode() if match else patient_of(_loads(line, found))
            if key is None:
                found.problems[f"{kind} resources that name no patient"] += 1
            elif key not in found.patients:
                found.problems[f"{kind} resources of a patient not in the Patient file"] += 1
            else:
                found._write(found.patients[key], line)


def _loads(line, found):
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        found.problems["Lines that are not JSON"] += 1
        return None


def patient_of(resource):
    """The id of the patient a resource is about, from its subject or patient reference, or None."""
    if not isinstance(resource, dict):
        return None
    for key in ("subject", "patient"):
        reference = resource.get(key)
        if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
            return reference["reference"].rsplit("/", 1)[-1].removeprefix("urn:uuid:") or None
    return None
