"""Zips of datasets and projects: the names their files unpack to, and unpacking them safely.

A zip unpacks the same wherever it is unpacked, and no file in it is lost:

- a name that its zipper wrote in UTF-8 without saying so (macOS's and Linux's zippers often
  leave the flag out) reads as UTF-8, not as the old DOS code page Python assumes (``cafÃ©``),
  and a name in another code page reads as the UTF-8 name kept beside it, where there is one, else
  in the code page of Japanese, Chinese, Korean or Russian Windows, or Western cp1252 (Latin-1), in
  which every name of the zip reads as its language (:func:`zip_code_page`); where that cannot be
  told, a :class:`ZipNameWarning` says so;
- every name is NFC (a Mac writes ``café`` decomposed), as :func:`earmark.naming.clean_name` makes a class name;
- a folder spelt in another case or Unicode form than one before it (``Bass/`` after ``bass/``) is
  that folder, as it is when the zip is unpacked on macOS or Windows;
- a file whose name another file of its folder has (in any case, or ``a\\b.wav`` beside
  ``a/b.wav``) gets a free name (``b-2.wav``) rather than overwriting it, unless it holds the same
  bytes (then the two are one file).
"""

from __future__ import annotations

import locale
import re
import shutil
import struct
import unicodedata
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from .audio import AUDIO_EXTENSIONS
from .errors import DatasetError, ZipNameWarning, warn
from .naming import name_key

__all__ = ["ZipMember", "extract_zip", "is_ignored_name", "member_name", "member_parts",
           "zip_code_page", "zip_members", "zip_root"]

IGNORED = re.compile(r"^(\.|__MACOSX$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)
_MAX_ZIP_BYTES = 4 * 1024**3
_MAX_ZIP_FILES = 50_000
_DRIVE = re.compile(r"^[A-Za-z]:")
#: The general-purpose flag a zipper sets when it wrote a member's name in UTF-8.
_UTF8_NAME = 0x800
#: Info-ZIP's extra field for a member's name in UTF-8, beside a name in another code page.
_UNICODE_PATH = 0x7075


def is_ignored_name(name: str) -> bool:
    """Whether a file or folder called ``name`` is left out of datasets and imports: hidden ones
    (``.git``, macOS ``._take.wav`` companions) and system clutter (``__MACOSX``, ``Thumbs.db``)."""
    return bool(IGNORED.match(name))


class ZipMember(NamedTuple):
    """A file of a zip, and where it unpacks to (see :func:`zip_members`)."""

    info: zipfile.ZipInfo
    #: its name as its zipper meant it (:func:`member_name`)
    name: str
    #: the folders and file it unpacks to, below the zip's top
    parts: tuple[str, ...]


def member_name(info: zipfile.ZipInfo, *, code_page: str | None = None) -> str:
    """A zip member's name as its zipper meant it. A name stored without the UTF-8 flag is read as
    the UTF-8 name the zipper kept beside it (Info-ZIP's Unicode Path field, for that name), else in
    ``code_page`` (the one :func:`zip_code_page` finds for the zip), else as UTF-8 where its bytes
    are UTF-8, else in the old DOS code page cp437, as Python's zipfile reads every such name."""
    if info.flag_bits & _UTF8_NAME:
        return info.filename
    if (kept := _unicode_path(info)) is not None:
        return kept
    raw = _raw_name(info)
    if code_page is not None:
        return raw.decode(code_page, errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeError:  # a DOS or Windows zipper's own code page: cp437 is the zip format's default
        return raw.decode("cp437")


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    """The bytes a member's name (stored without the UTF-8 flag) has in the zip, up to a NUL."""
    return info.orig_filename.encode("cp437").split(b"\0")[0]


def _unicode_path(info: zipfile.ZipInfo) -> str | None:
    """The UTF-8 name in ``info``'s Info-ZIP Unicode Path extra field (0x7075), where it is there and
    was written for the name the member has (its CRC-32 says so); else ``None``."""
    extra = info.extra
    while len(extra) >= 4:
        tag, size = struct.unpack("<HH", extra[:4])
        body, extra = extra[4:4 + size], extra[4 + size:]
        if tag == _UNICODE_PATH and len(body) > 5 and body[0] == 1 \
                and struct.unpack("<L", body[1:5])[0] == zlib.crc32(info.orig_filename.encode("cp437")):
            try:
                return body[5:].decode("utf-8").split("\0")[0]
            except UnicodeDecodeError:
                return None
    return None


#: The DOS code pages Windows' own zipper (and 7-Zip, unless told -mcu=on) writes names in, in a
#: computer set to Japanese, Chinese, Korean or Russian, and the language each is for.
_CODE_PAGES = {"cp932": "Japanese", "gbk": "Chinese", "cp949": "Korean", "cp866": "Russian"}
_LANGUAGE_CODE = {"ja": "cp932", "zh": "gbk", "ko": "cp949", "ru": "cp866", "uk": "cp866", "be": "cp866"}
#: Signs a Western DOS zipper (cp437) might write beside Latin letters.
_WESTERN_SIGNS = frozenset("¡¿«»°ªº£¥¢ƒ½¼·")
_CJK_SIGNS = re.compile("[\u3000-\u303f\uff01-\uff5e\u30fb\u30fc]")  # 、。「」〜・ー, full-width ＡＢ１２
_LATIN_LETTER = re.compile("[A-Za-z]")


def zip_code_page(infos: list[zipfile.ZipInfo]) -> tuple[str | None, str | None]:
    """The code page of a zip's names stored without the UTF-8 flag (nor a UTF-8 name kept beside
    them), where some are not UTF-8, and why the names may read wrongly (``None`` where all is well).

    Windows' zipper and older 7-Zip write names in the DOS code page of the computer's language, the
    same for every name; other zippers in Windows' Western code page cp1252 (Latin-1's letters). The
    one taken is the one, of Japanese cp932, Chinese gbk, Korean cp949, Russian cp866 and Western
    cp1252, in which every such name of the zip reads as the common letters of its language: kana
    and JIS kanji, GB2312 hanzi, KS X 1001 Hangul, Cyrillic words (not a letter of a Latin word, as
    ``é`` of a cp437 ``café`` would be), Latin words. A name that reads as Latin words in cp1252 or in
    the DOS cp437 is not read as kanji or hanzi set inside a Latin word (a Latin-1 ``bäss`` is not
    ``b舖s``). Every Korean name reads as Chinese hanzi too: where two fit, the language of this
    computer decides, if it is one of them; else Western cp1252, if it fits, is taken, with a reason
    that names the others. Else (``None``: none fits, or it cannot be decided) :func:`member_name`
    reads the names as UTF-8 or cp437, and where they do not read as Latin letters in cp437, the
    reason says so."""
    raws = [raw for info in infos if not info.flag_bits & _UTF8_NAME and _unicode_path(info) is None
            and not (raw := _raw_name(info)).isascii()]
    if all(_is_utf8(raw) for raw in raws):
        return None, None
    legacy = [raw for raw in raws if not _is_utf8(raw)]
    dos_latin = all(_reads_as_latin(raw.decode("cp437"), signs=_WESTERN_SIGNS) for raw in legacy)
    western = not dos_latin and all(not _is_utf8(raw) and _reads_as_latin_in(raw, "cp1252") for raw in raws)
    fits = [code_page for code_page in _CODE_PAGES if all(_reads_as_its_language(raw, code_page) for raw in raws)]
    if dos_latin or western:
        fits = [code_page for code_page in fits
                if not any(_inside_a_latin_word(raw.decode(code_page)) for raw in raws)]
    fits += ["cp1252"] if western else []
    if len(fits) > 1:
        fits = [code_page for code_page in fits if code_page == _machine_code_page()] or fits
    if len(fits) > 1 and western:
        example = next(raw for raw in raws if not _is_utf8(raw))
        others = " or ".join(f"{_CODE_PAGES[code_page]} ({code_page}: {example.decode(code_page)!r})"
                             for code_page in fits if code_page != "cp1252")
        return "cp1252", f"names such as {example.decode('cp1252')!r}, read as Western (cp1252), could be {others}"
    if len(fits) == 1:
        return fits[0], None
    example_text = legacy[0].decode("cp437")
    if fits:
        could_be = " or ".join(f"{_CODE_PAGES[code_page]} ({code_page})" for code_page in fits)
        return None, f"names such as {example_text!r} could be {could_be}"
    if dos_latin:
        return None, None
    return None, f"names such as {example_text!r} are in a code page earmark does not know"


def _reads_as_latin(text: str, *, signs: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` is nothing but ASCII, Latin letters (not the florin ``ƒ``) and ``signs``."""
    return all(c.isascii() or c in signs or (c != "ƒ" and c.isalpha() and "LATIN" in unicodedata.name(c, ""))
               for c in text)


def _reads_as_latin_in(raw: bytes, code_page: str) -> bool:
    try:
        return _reads_as_latin(raw.decode(code_page))
    except UnicodeError:  # cp1252 leaves five bytes out
        return False


def _inside_a_latin_word(text: str) -> bool:
    """Whether a letter that is not ASCII stands between two ASCII letters (``b舖s``), as the two-byte
    kanji or hanzi of a Latin-1 letter and the letter after it do, and a word of those seldom does."""
    return any(not c.isascii() and _LATIN_LETTER.match(text[k - 1:k]) and _LATIN_LETTER.match(text[k + 1:k + 2])
               for k, c in enumerate(text))


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeError:
        return False
    return True


def _reads_as_its_language(raw: bytes, code_page: str) -> bool:
    """Whether ``raw`` decodes in ``code_page`` to nothing but ASCII and common letters of its language."""
    try:
        text = raw.decode(code_page)
    except UnicodeError:
        return False
    if code_page == "cp866":  # no Cyrillic letter inside a Latin word
        return all(("\u0400" <= c <= "\u04ff" and not _LATIN_LETTER.match(text[k - 1:k] + text[k + 1:k + 2]))
                   or c.isascii() for k, c in enumerate(text))
    return all(c.isascii() or _CJK_SIGNS.match(c) or _common_letter(c, code_page) for c in text)


def _common_letter(c: str, code_page: str) -> bool:
    if code_page == "cp932":  # hiragana, katakana (not half-width), JIS X 0208 kanji
        return "\u3041" <= c <= "\u30fa" or ("\u4e00" <= c <= "\u9fff" and _encodes(c, "shift_jis"))
    if code_page == "gbk":
        return "\u4e00" <= c <= "\u9fff" and _encodes(c, "gb2312")
    return "\uac00" <= c <= "\ud7a3" and _encodes(c, "euc_kr")  # cp949: the 2,350 Hangul of KS X 1001


def _encodes(c: str, encoding: str) -> bool:
    """Whether ``c`` is one of the two-byte characters of ``encoding`` (Python's euc_kr spells the
    Hangul KS X 1001 lacks in eight bytes)."""
    try:
        return len(c.encode(encoding)) == 2
    except UnicodeError:
        return False


def _machine_code_page() -> str | None:
    """The DOS code page of this computer's language (``ko_KR``, ``Korean_Korea``...), of those above."""
    language = (locale.getlocale(locale.LC_CTYPE)[0] or "").lower()
    names = {"japanese": "ja", "chinese": "zh", "korean": "ko", "russian": "ru", "ukrainian": "uk"}
    code = next((short for name, short in names.items() if language.startswith(name)), language[:2])
    return _LANGUAGE_CODE.get(code)


def member_parts(name: str) -> tuple[str, ...]:
    """A zip member's name as the folders and file it unpacks to (``\\`` is a separator too)."""
    return tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))


def zip_members(archive: zipfile.ZipFile) -> list[ZipMember]:
    """The files of ``archive`` (not its folder entries), each with the folders and name it unpacks
    to: names as :func:`member_name` reads them, NFC, a folder's other spellings joined to its
    first, free names for files of one name (see the module's notes). Names are not checked here:
    :func:`extract_zip` refuses those that would land outside its folder."""
    infos = archive.infolist()
    code_page, doubt = zip_code_page(infos)
    if doubt is not None:
        warn(f"{archive.filename or 'zip'}: its names are not marked as UTF-8, and may read wrongly "
                      f"({doubt}); if class or file names look garbled, make the zip again "
                      "with UTF-8 names (7-Zip: -mcu=on) or give the folder itself", ZipNameWarning)
    files = []
    for info in infos:
        name = member_name(info, code_page=code_page)
        if not info.is_dir() and not name.endswith(("/", "\\")):
            files.append((info, name, tuple(unicodedata.normalize("NFC", p) for p in member_parts(name))))
    folders: dict[tuple[tuple[str, ...], str], str] = {}  # (folder it is in, its name_key): its name
    for _, _, parts in files:
        where: tuple[str, ...] = ()
        for part in parts[:-1]:
            where = (*where, folders.setdefault((where, name_key(part)), part))
    placed = []
    for info, name, parts in files:
        where = ()
        for part in parts[:-1]:
            where = (*where, folders[(where, name_key(part))])
        placed.append((info, name, parts, where, parts[-1] if parts else ""))
    # Every file's own name is kept for it, so a free name given to a clash never takes a later file's
    # (``a.wav``, ``A.wav``, ``a-2.wav`` unpack as ``a.wav``, ``A-3.wav``... never ``a-2-2.wav``).
    own = {(where, name_key(file)) for _, _, _, where, file in placed}
    taken: dict[tuple[tuple[str, ...], str], zipfile.ZipInfo] = {}  # (folder, name_key): the file named so
    members = []
    for info, name, parts, where, file in placed:
        first = taken.get((where, name_key(file)))
        if first is not None and (first.CRC, first.file_size) == (info.CRC, info.file_size):
            continue  # the same bytes under the same name: one file
        if first is not None or (where, name_key(file)) in folders:
            path, n = PurePosixPath(file), 2
            while (key := (where, name_key(file))) in taken or key in folders or key in own:
                file, n = f"{path.stem}-{n}{path.suffix}", n + 1
        taken[(where, name_key(file))] = info
        members.append(ZipMember(info, name, (*where, file) if parts else ()))
    return members


def zip_root(names: list[str]) -> tuple[str, ...]:
    """Where the dataset is in a zip of files ``names``: ``("my_sounds",)`` for a zip of one top
    folder (``my_sounds/bass/...``), which :func:`extract_zip` unwraps, else ``()``. Loose
    non-audio files beside that folder (a README) do not stop that, loose audio does."""
    tops: dict[str, set[str]] = {}  # each top folder: the folders in it
    loose_audio = False
    for parts in map(member_parts, names):
        if not parts or IGNORED.match(parts[0]):
            continue
        if len(parts) == 1:
            loose_audio |= Path(parts[0]).suffix.lower() in AUDIO_EXTENSIONS
            continue
        inner = tops.setdefault(parts[0], set())
        if len(parts) > 2 and not IGNORED.match(parts[1]):
            inner.add(parts[1])
    if len(tops) == 1 and not loose_audio and next(iter(tops.values())):
        return (next(iter(tops)),)
    return ()


def _member_destination(path: Path, member: ZipMember, target: Path) -> Path:
    """Where ``member`` goes under the (resolved) folder ``target``; refuses names that leave it."""
    unsafe = DatasetError(
        f"{path}: unsafe member name {member.name!r}; refusing to extract (it would land outside the zip's "
        "folder); re-create the zip from the dataset folder"
    )
    posix = member.name.replace("\\", "/")
    if not member.parts or posix.startswith("/") or _DRIVE.match(posix) or ".." in member.parts:
        raise unsafe
    dest = target.joinpath(*member.parts)
    if not dest.resolve().is_relative_to(target):
        raise unsafe
    return dest


def _human_size(n_bytes: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} bytes"


def extract_zip(path: Path, target: Path, *, max_bytes: int | None = None) -> Path:
    """Extract a dataset zip safely (no paths outside ``target``, at most ``max_bytes`` unpacked,
    4 GiB by default, no file overwriting another: see the module's notes); return the dataset folder.

    ``target`` should be a fresh temporary folder: on an error it may hold part of the zip.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"{path}: not a readable zip file ({exc}); re-create the zip") from exc
    with archive:
        members = zip_members(archive)
        if len(members) > _MAX_ZIP_FILES:
            raise DatasetError(f"{path}: holds {len(members)} files, more than the limit of {_MAX_ZIP_FILES}; "
                               "split the zip into smaller ones, or give the unpacked folder")
        size = sum(m.info.file_size for m in members)
        max_bytes = _MAX_ZIP_BYTES if max_bytes is None else max_bytes
        if size > max_bytes:
            raise DatasetError(f"{path}: unpacks to {_human_size(size)}, more than the limit of "
                               f"{_human_size(max_bytes)}; split the zip into smaller ones, "
                               "or give the unpacked folder")
        root = target.resolve()
        # Every name is checked before anything is written.
        planned = [(member, _member_destination(path, member, root)) for member in members]
        for member, dest in planned:
            _unpack(archive, member, dest, path=path, target=target)
    return target.joinpath(*zip_root(["/".join(member.parts) for member in members]))


def _unpack(archive: zipfile.ZipFile, member: ZipMember, dest: Path, *, path: Path, target: Path) -> None:
    """Write ``member`` of ``archive`` (the zip ``path``) to ``dest`` under ``target``, never over a file there."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        # ZipFile reads at most the member's declared size (and checks its CRC),
        # so the size limit above holds however the data is compressed.
        with archive.open(member.info) as src, open(dest, "xb") as out:
            shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DatasetError(f"{path}: member {member.name!r} is damaged ({exc}); re-create the zip") from exc
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, or an unknown compression
        raise DatasetError(f"{path}: cannot unpack member {member.name!r} ({exc}); "
                           "re-create the zip without a password, using plain (deflate) compression") from exc
    except FileExistsError as exc:  # a disk that folds names further than name_key does: never overwrite
        raise DatasetError(f"{path}: cannot unpack member {member.name!r}: {exc.filename} is there already, "
                           "under a name this disk takes for the same; rename one of the two in the zip, "
                           "or unzip it yourself and give the folder") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot unpack member {member.name!r} to {target} "
                           f"({exc.strerror or exc}); check there is free disk space, or unzip it yourself "
                           "and give the folder") from exc
