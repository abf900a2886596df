"""The Settings page: titled sections, inline problems, keyboard and screen-reader access, the
theme applied on save, and the S3 destinations' model and form (the panel against a real S3
server is in tests/integration/test_settings_s3.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit, QWidget

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.transfer.profiles import Profile
from genoflow_desktop.qt.views.settings import SettingsView
from genoflow_desktop.qt.views.settings.fields import problems
from genoflow_desktop.qt.views.settings.s3_profile_form import S3ProfileForm
from genoflow_desktop.qt.views.settings.s3_profile_model import S3ProfileModel
from tests.qt.conftest import wait_idle

PREFERENCE_SECTIONS = ["Transfers", "Jobs", "Notifications and e-mail", "Appearance"]


def make_view(qtbot, path: Path) -> SettingsView:  # type: ignore[no-untyped-def]
    view = SettingsView(core_settings.Settings(), path)
    qtbot.addWidget(view)
    return view


def test_preferences_sit_in_titled_sections(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot, tmp_path / "settings.json")
    titles = list(view.sections)
    # In this order (other sections, e.g. for newer settings, may sit between them).
    assert [t for t in titles if t in PREFERENCE_SECTIONS] == PREFERENCE_SECTIONS
    assert "Other" not in titles  # every setting has a home
    transfers = view.sections["Transfers"]
    for name in ("validation_workers", "upload_concurrency", "part_size_mib"):
        assert transfers.isAncestorOf(view.editors[name])
    assert view.sections["Jobs"].isAncestorOf(view.editors["results_folder"])
    assert view.sections["Appearance"].isAncestorOf(view.editors["theme"])
    assert view.sections["Notifications and e-mail"].isAncestorOf(view.editors["smtp_host"])
    # Every setting of the model has an editor somewhere.
    assert set(view.editors) == {name for name, _, _ in core_settings.describe()}


def test_every_control_has_an_accessible_name_and_takes_the_keyboard(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot, tmp_path / "settings.json")
    view.show()
    controls = [
        w
        for w in view.findChildren(QWidget)
        if w.focusPolicy() != w.focusPolicy().NoFocus
        and w.isVisibleTo(view)
        and not w.objectName().startswith("qt_")  # Qt's own parts (a spin box's line edit)
    ]
    assert controls
    # A button's text is its accessible name; every other control needs one set.
    unnamed = [
        w
        for w in controls
        if not w.accessibleName() and not (isinstance(w, QAbstractButton) and w.text())
    ]
    assert unnamed == []
    for editor in view.editors.values():
        assert editor.accessibleName()
        assert editor.focusPolicy() & editor.focusPolicy().TabFocus
    # "Go to" reaches a section by keyboard and puts the focus in it.
    view.jump_buttons["Appearance"].click()
    assert view.sections["Appearance"].isAncestorOf(view.focusWidget())


def test_problems_show_under_their_field_and_block_saving(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "settings.json"
    view = make_view(qtbot, path)
    view.show()
    email = view.editors["notification_email"]
    assert isinstance(email, QLineEdit)
    email.setText("not-an-address")
    view.save_button.click()
    assert not path.exists()
    assert "not an e-mail address" in view.errors["notification_email"].text()
    assert view.errors["notification_email"].isVisible()
    assert "SMTP server" in view.errors["smtp_host"].text()
    assert "need attention" in view.saved_label.text()
    assert not view.errors["theme"].isVisible()

    email.setText("lab@example.org")
    view.editors["smtp_host"].setText("smtp.example.org")  # type: ignore[attr-defined]
    with qtbot.waitSignal(view.settings_saved):
        view.save_button.click()
    assert not view.errors["notification_email"].isVisible()
    saved, _ = core_settings.load(path)
    assert saved.notification_email == "lab@example.org"


def test_field_checks() -> None:
    assert problems({"notification_email": "", "smtp_host": ""}) == {}
    assert set(problems({"results_folder": "relative/path"})) == {"results_folder"}
    assert set(problems({"smtp_host": "smtp.example.org/x"})) == {"smtp_host"}
    assert problems({"notification_email": "a@b.org", "smtp_host": "smtp.b.org"}) == {}


def test_revert_puts_back_the_saved_values(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_view(qtbot, tmp_path / "settings.json")
    view.editors["upload_concurrency"].setValue(17)  # type: ignore[attr-defined]
    view.revert_button.click()
    assert view.editors["upload_concurrency"].value() == 4  # type: ignore[attr-defined]


def test_theme_change_is_applied_on_save(qtbot, genoflow_app, app_dirs: AppDirs) -> None:  # type: ignore[no-untyped-def]
    view = genoflow_app.views["settings"]
    theme = view.editors["theme"]
    theme.setCurrentIndex(theme.findData("dark"))
    with qtbot.waitSignal(view.settings_saved):
        view.save_button.click()
    assert QApplication.palette().window().color().name() == "#1f2328"
    theme.setCurrentIndex(theme.findData("light"))
    with qtbot.waitSignal(view.settings_saved):
        view.save_button.click()
    assert QApplication.palette().window().color().name() != "#1f2328"
    assert core_settings.load(app_dirs.settings_file)[0].theme == "light"


def test_services_and_s3_sections_come_first_once_the_store_is_open(
    qtbot, loop, genoflow_app
) -> None:  # type: ignore[no-untyped-def]
    view = genoflow_app.views["settings"]
    view.attach_services(
        genoflow_app.store_access, genoflow_app.runner, genoflow_app.executors.disk
    )
    assert list(view.sections)[:2] == ["Services and tokens", "S3 destinations"]
    assert view.s3_profiles is not None and view.services is not None
    wait_idle(qtbot, genoflow_app.runner)
    assert view.s3_profiles.model.rowCount() == 0
    assert not view.s3_profiles.test_button.isEnabled()  # nothing selected


def test_s3_profile_model(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = S3ProfileModel()
    qtmodeltester.check(model)
    model.set_profiles(
        [
            Profile("lab", "bucket-one", "http://127.0.0.1:9000", prefix="runs/", access_key_id="AK"),
            Profile("aws", "bucket-two", region="eu-west-1", sse="aws:kms", kms_key_id="k1",
                    use_credential_chain=True),
        ]
    )  # fmt: skip
    qtmodeltester.check(model)
    assert model.data(model.index(0, 5)) == "Key AK (secret in keychain)"
    assert model.data(model.index(1, 1)) == "AWS S3 (eu-west-1)"
    assert model.data(model.index(1, 4)) == "SSE-KMS, key k1"
    assert model.data(model.index(1, 5)) == "AWS credential chain"
    assert model.row_of("aws") == 1 and model.row_of("nope") == -1


def test_s3_form_checks_fields_inline_and_hands_the_secret_over_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    form = S3ProfileForm()
    qtbot.addWidget(form)
    form.start_new()
    form.name.setText("lab")
    form.bucket.setText("Not_A_Bucket")
    form.access_key_id.setText("AKIA1")
    form.secret_key.setText("s3cret")
    with qtbot.assertNotEmitted(form.submitted):
        form.save_button.click()
    assert "not a valid bucket name" in form.errors["bucket"].text()
    assert form.secret_key.text() == "s3cret"  # kept while another field is fixed

    form.bucket.setText("lab-bucket")
    form.endpoint_url.setText("ftp://nowhere")
    form.save_button.click()
    assert not form.errors["bucket"].isVisibleTo(form)
    assert "not an endpoint URL" in form.errors["endpoint_url"].text()

    form.endpoint_url.setText("http://127.0.0.1:9000/")
    form.secret_key.clear()
    form.save_button.click()
    assert "keychain" in form.errors["secret_key"].text()

    form.secret_key.setText("s3cret")
    with qtbot.waitSignal(form.submitted) as submitted:
        form.save_button.click()
    profile, secret = submitted.args
    assert (profile.name, profile.endpoint_url, secret) == (
        "lab",
        "http://127.0.0.1:9000",
        "s3cret",
    )
    assert form.secret_key.text() == ""

    # The credential chain needs no key; the key fields are disabled.
    form.start_new()
    form.credentials.setCurrentIndex(form.credentials.findData("chain"))
    assert not form.secret_key.isEnabled() and not form.access_key_id.isEnabled()
    form.name.setText("aws")
    form.bucket.setText("lab-bucket")
    with qtbot.waitSignal(form.submitted) as submitted:
        form.save_button.click()
    assert submitted.args[0].use_credential_chain and submitted.args[1] == ""
