"""Find, download, verify and cache dataset files.

Files live in a cache folder: `root=` if given, else `$BRIQUE_DATA`, else `~/.cache/brique`,
in a subfolder per dataset (`mnist/`, `fashion-mnist/`, `cifar10/`). Files already there, or
directly in the root, are used as they are (after checking their hash); missing ones are
downloaded only when `download=True`. A download goes to a temporary file in the same folder,
is hashed while it streams, fsync'ed, checked, and only then renamed into place with
`os.replace`, so the cache never holds a partial or corrupt file.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request

CHUNK = 1 << 20
_urlopen = urllib.request.urlopen  # tests replace this to serve bytes without a network


class DatasetUnavailableError(RuntimeError):
    """A dataset's files are missing and could not be downloaded."""


def data_root(root=None):
    """The cache root: `root`, else $BRIQUE_DATA, else ~/.cache/brique."""
    root = root or os.environ.get("BRIQUE_DATA") or os.path.join("~", ".cache", "brique")
    return os.path.abspath(os.path.expanduser(os.fspath(root)))


def file_hash(path, algorithm="sha256"):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _split_checksum(checksum):
    """'md5:abc...' or 'sha256:abc...' -> (algorithm, hex digest)."""
    algorithm, _, digest = checksum.partition(":")
    if algorithm not in ("md5", "sha256") or not digest:
        raise ValueError(f"checksum must look like 'sha256:<hex>' or 'md5:<hex>', got {checksum!r}")
    return algorithm, digest.lower()


def _progress(total, desc, enabled):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar without it
        return None
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not enabled, leave=False)


def default_mode():
    """The permissions of a new ordinary file under this process's umask (0644 usually):
    temporary files start 0600, and what brique writes is readable like any other file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def download_url(url, path, checksum=None, progress=True, timeout=60):
    """Download `url` to `path` atomically, verifying `checksum` ('sha256:...' or 'md5:...').

    On a checksum mismatch nothing is left at `path` (nor any temporary file) and a
    RuntimeError says what was expected and found. Network errors propagate
    (urllib.error.URLError / OSError).
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    algorithm, expected = _split_checksum(checksum) if checksum else ("sha256", None)
    digest = hashlib.new(algorithm)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".part")
    os.chmod(tmp, default_mode())
    try:
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length") if getattr(
                response, "headers", None) is not None else None
            bar = _progress(int(length) if length else None, os.path.basename(path), progress)
            try:
                for block in iter(lambda: response.read(CHUNK), b""):
                    out.write(block)
                    digest.update(block)
                    if bar is not None:
                        bar.update(len(block))
            finally:
                if bar is not None:
                    bar.close()
            out.flush()
            os.fsync(out.fileno())
        found = digest.hexdigest()
        if expected is not None and found != expected:
            raise RuntimeError(f"download of {url} failed verification: {algorithm} is {found}, "
                               f"expected {expected} (a corrupt or changed file); nothing was "
                               f"saved to {path}")
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(folder)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
    return path


def _fsync_dir(folder):
    try:  # makes the rename itself durable; not possible on every platform
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def find_or_download(name, files, mirrors, subdir, root=None, download=False, progress=True,
                     alternatives=None):
    """Paths of `files` ({filename: checksum}) for dataset `name`, looked up in
    <root>/<subdir>/ then <root>/, downloaded into <root>/<subdir>/ when missing and
    `download`. `alternatives` maps a filename to other names accepted in its place without
    a hash check (e.g. the decompressed `train-images-idx3-ubyte` for the .gz)."""
    base = data_root(root)
    folder = os.path.join(base, subdir)
    alternatives = alternatives or {}
    paths, missing = {}, []
    for filename, checksum in files.items():
        found = _find(filename, checksum, alternatives.get(filename, ()), (folder, base))
        if found is None:
            missing.append(filename)
        else:
            paths[filename] = found
    if missing and not download:
        raise DatasetUnavailableError(
            f"{name}: file(s) {', '.join(missing)} not found in {folder}. Pass download=True "
            f"to fetch them, or provide them yourself.\n" + _how_to(name, missing, mirrors, folder))
    for filename in missing:
        target = os.path.join(folder, filename)
        errors = []
        for mirror in mirrors:
            try:
                paths[filename] = download_url(mirror + filename, target, files[filename],
                                               progress=progress)
                break
            except (urllib.error.URLError, OSError) as exc:
                errors.append(f"{mirror + filename}: {exc}")
        else:
            raise DatasetUnavailableError(
                f"{name}: could not download {filename} (offline?):\n  " + "\n  ".join(errors)
                + "\n" + _how_to(name, missing, mirrors, folder))
    return paths


def _find(filename, checksum, alternatives, folders):
    for folder in folders:
        path = os.path.join(folder, filename)
        if os.path.isfile(path):
            if checksum:
                algorithm, expected = _split_checksum(checksum)
                found = file_hash(path, algorithm)
                if found != expected:
                    raise DatasetUnavailableError(
                        f"{path} is corrupt or not the expected file: its {algorithm} is {found},"
                        f" expected {expected}. Delete it (it is downloaded again with "
                        f"download=True) or replace it with the original file.")
            return path
        for alt in alternatives:
            if os.path.exists(os.path.join(folder, alt)):
                return os.path.join(folder, alt)
    return None


def _how_to(name, missing, mirrors, folder):
    lines = [f"To use {name} offline, download on a machine with internet access:"]
    lines += [f"  {f}  from  {mirrors[0] + f}" for f in missing]
    lines.append(f"and copy them into {folder} (or into a folder of your choice given as "
                 f"root=FOLDER or by setting BRIQUE_DATA=FOLDER; files may sit directly in it "
                 f"or in its '{os.path.basename(folder)}' subfolder).")
    return "\n".join(lines)
