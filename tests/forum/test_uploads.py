"""forum.uploads: attachments are decided by content, images re-encoded, the rest allow-listed."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageSequence

from townsquare.core.images import clean_image
from townsquare.forum.uploads import CheckedUpload, check_upload, clean_name

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def animated_gif(frames: int = 3, size=(40, 30)) -> bytes:
    images = [Image.new("RGB", size, (n * 80, 100, 0)) for n in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=[70, 0, 120][:frames],
        loop=0,
    )
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (50.0, 3.0, 42.0), 3: "E", 4: (19.0, 56.0, 12.0)})
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture really has GPS
    return data


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def error_of(name: str, data: bytes) -> str:
    with pytest.raises(ValidationError) as error:
        check_upload(upload(name, data))
    return " ".join(error.value.message_dict["file"])


def zip_bytes(member: str = "word/document.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(member, "<w:document/>")
    return out.getvalue()


def stored_image(checked: CheckedUpload) -> Image.Image:
    checked.content.seek(0)
    return Image.open(io.BytesIO(checked.content.read()))


# --- Images -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_images_are_re_encoded_as_webp(fmt):
    checked = check_upload(upload(f"photo.{fmt.lower()}", image_bytes(fmt), "text/html"))
    assert (checked.kind, checked.content_type) == ("image", "image/webp")
    assert checked.extension == "webp"
    assert (checked.width, checked.height) == (64, 48)
    image = stored_image(checked)
    assert image.format == "WEBP" and image.size == (64, 48)
    checked.content.seek(0)
    data = checked.content.read()
    assert checked.size == len(data)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.content.name == f"{checked.sha256[:32]}.webp"
    assert checked.original_name == f"photo.{fmt.lower()}"


def test_image_is_decided_by_content_not_by_name():
    checked = check_upload(upload("report.pdf", image_bytes("PNG"), "application/pdf"))
    assert checked.kind == "image" and checked.extension == "webp"


def test_large_images_are_downsized_to_2048_on_the_long_side():
    checked = check_upload(upload("wide.png", image_bytes("PNG", size=(4000, 1000))))
    assert (checked.width, checked.height) == (2048, 512)
    assert stored_image(checked).size == (2048, 512)


def test_gps_and_other_exif_are_dropped():
    checked = check_upload(upload("holiday.jpg", jpeg_with_gps(), "image/jpeg"))
    image = stored_image(checked)
    assert not image.getexif()
    assert "exif" not in image.info and "xmp" not in image.info


def test_exif_orientation_is_applied_before_it_is_dropped():
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90° clockwise to display
    data = image_bytes("JPEG", size=(80, 40), exif=exif)
    checked = check_upload(upload("portrait.jpg", data))
    assert (checked.width, checked.height) == (40, 80)


def test_animated_gif_keeps_its_frames():
    checked = check_upload(upload("dance.gif", animated_gif(frames=3)))
    image = stored_image(checked)
    assert image.format == "WEBP" and image.n_frames == 3
    assert durations(image) == [70, 100, 120]  # a 0 ms frame shows for 100 ms, as in browsers


def test_animated_webp_keeps_its_frames_and_timing():
    first = check_upload(upload("dance.gif", animated_gif(frames=3)))
    first.content.seek(0)
    again = stored_image(check_upload(upload("dance.webp", first.content.read())))
    assert again.n_frames == 3 and durations(again) == [70, 100, 120]


def durations(image: Image.Image) -> list[int]:
    found = []
    for frame in ImageSequence.Iterator(image):
        frame.load()
        found.append(frame.info["duration"])
    return found


def test_transparency_is_kept():
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, format="PNG")
    image = stored_image(check_upload(upload("clear.png", out.getvalue())))
    assert image.mode == "RGBA" and image.getpixel((5, 5))[3] == 0


def test_too_large_image_names_the_limit(settings):
    settings.FORUM_IMAGE_MAX_BYTES = 3 * 1024 * 1024
    noise = Image.effect_noise((1400, 1400), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert out.tell() > 3 * 1024 * 1024
    assert "larger than 3 MB" in error_of("noise.png", out.getvalue())


def test_image_with_too_many_pixels_is_refused(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    assert "too many pixels" in error_of("big.png", image_bytes("PNG", size=(101, 100)))


def test_animation_with_too_many_frames_for_its_size_is_refused(monkeypatch):
    monkeypatch.setattr("townsquare.core.images.ANIMATION_MAX_PIXELS", 2 * 40 * 30)
    assert "too many frames" in error_of("long.gif", animated_gif(frames=3))


def test_avatars_stay_512_px_stills():
    """core.images.clean_image, which avatars and logos use, still makes 512 px stills."""
    content = clean_image(
        upload("a.gif", animated_gif(frames=3, size=(1024, 800))), field="avatar", max_bytes=10**6
    )
    image = Image.open(content)
    assert image.format == "WEBP" and image.size == (512, 400)
    assert getattr(image, "n_frames", 1) == 1


# --- Other files ------------------------------------------------------------------------------


def test_pdf_is_accepted_with_our_content_type():
    data = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    checked = check_upload(upload("Minutes 2026.PDF", data, "text/html"))
    assert (checked.kind, checked.content_type, checked.extension) == (
        "file",
        "application/pdf",
        "pdf",
    )
    assert (checked.width, checked.height) == (None, None)
    assert checked.content.read() == data and checked.size == len(data)
    assert checked.original_name == "Minutes 2026.PDF"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("notes.txt", "text/plain; charset=utf-8"),
        ("README.md", "text/markdown; charset=utf-8"),
        ("data.csv", "text/csv; charset=utf-8"),
    ],
)
def test_utf8_text_is_accepted(name, content_type):
    checked = check_upload(upload(name, "Zażółć gęślą jaźń, 社区, ☃\n".encode()))
    assert checked.content_type == content_type


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("letter.docx", "docx"),
        ("sheet.xlsx", "xlsx"),
        ("slides.pptx", "pptx"),
        ("text.odt", "odt"),
        ("calc.ods", "ods"),
        ("show.odp", "odp"),
        ("bundle.zip", "zip"),
    ],
)
def test_zip_based_documents_are_accepted(name, extension):
    assert check_upload(upload(name, zip_bytes())).extension == extension


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("fake.pdf", b"<html><script>alert(1)</script></html>"),
        ("fake.docx", b"<html>not a zip</html>"),
        ("broken.zip", b"PK\x03\x04 but no directory"),
        ("latin1.txt", "Zażółć".encode("latin-1", errors="replace") + b"\xe6\xb1"),
        ("nul.csv", b"a,b\x00,c\n"),
        ("fake.png", b"<svg onload=alert(1)></svg>"),
        ("truncated.jpg", image_bytes("JPEG")[:40]),
        ("cut.png", image_bytes("PNG", size=(300, 300))[:200]),  # a real header, then nothing
    ],
)
def test_content_must_match_the_name(name, data):
    message = error_of(name, data)
    assert "PDF" in message and "10 MB" in message and "5 MB" in message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("setup.exe", b"MZ\x90\x00\x03"),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("app.js", b"alert(1)"),
        ("no-extension", b"%PDF-1.7\n"),
        ("image.bmp", b"BM" + b"\x00" * 60),
    ],
)
def test_other_types_are_refused_with_the_allowed_ones_named(name, data):
    message = error_of(name, data)
    assert "cannot be attached" in message
    assert "JPEG" in message and "DOCX" in message and "10 MB" in message


def test_too_large_file_names_the_limit(settings):
    settings.FORUM_FILE_MAX_BYTES = 1024 * 1024
    assert "larger than 1 MB" in error_of("big.txt", b"a" * (1024 * 1024 + 1))


def test_empty_file_is_refused():
    assert error_of("empty.txt", b"") == "The file is empty."
    assert error_of("empty.png", b"") == "The file is empty."


# --- Names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\Desktop\\plan.pdf", "plan.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a bidi override hid ".exe"
        ("re\u200bport\u2066.pdf", "report.pdf"),  # zero-width and isolate characters
        ("line\nbreak\t.txt", "line break .txt"),
        ("  ..hidden.txt.  ", "hidden.txt"),
        ("报告 2026.pdf", "报告 2026.pdf"),
        ("Zoe\u0308.txt", "Zoë.txt"),  # NFC
        ("...", ""),
        ("a" * 200 + ".pdf", "a" * 116 + ".pdf"),
        ("b" * 200, "b" * 120),
    ],
)
def test_names_are_cleaned(raw, clean):
    assert clean_name(raw) == clean


def test_a_file_whose_name_cleans_away_gets_a_name():
    assert check_upload(upload("\u202e\u200b", image_bytes())).original_name == "image.webp"
    assert check_upload(upload("...", image_bytes())).original_name == "image.webp"


def test_bidi_trick_does_not_sneak_an_executable_through():
    assert "cannot be attached" in error_of("photo\u202egnp.exe", b"MZ\x90\x00")
