from genoflow_desktop.core import system_check


def test_advice_names_debian_and_fedora_packages() -> None:
    advice = system_check.install_advice({"libxcb-cursor.so.0", "libEGL.so.1"})
    assert "sudo apt-get install libegl1 libxcb-cursor0" in advice
    assert "sudo dnf install libglvnd-egl xcb-util-cursor" in advice


def test_import_error_mentioning_a_library_is_explained() -> None:
    error = ImportError(
        "libxkbcommon.so.0: cannot open shared object file: No such file or directory"
    )
    assert "libxkbcommon0" in system_check.explain_import_error(error)


def test_platform_follows_the_environment() -> None:
    assert system_check.expected_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert system_check.expected_platform({"DISPLAY": ":0"}) == "xcb"
    assert system_check.expected_platform({"WAYLAND_DISPLAY": "wayland-0"}) == "wayland"
    assert system_check.expected_platform({}) == "offscreen"


def test_offscreen_platform_loads_on_this_machine() -> None:
    # The test suite itself runs Qt offscreen, so these libraries must all be present.
    assert system_check.missing_qt_libraries("offscreen") == set()
