from pathlib import Path

from genoflow_desktop.qt.single_instance import SingleInstance, server_name


def test_second_launch_forwards_its_files_to_the_first(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = SingleInstance(tmp_path / "data")
    assert first.listen()
    try:
        second = SingleInstance(tmp_path / "data")
        with qtbot.waitSignal(first.activation_requested, timeout=5000) as received:
            assert second.forward([str(tmp_path / "reads.fastq.gz")])
        assert received.args == [[str((tmp_path / "reads.fastq.gz").resolve())]]
    finally:
        first.close()


def test_no_running_instance_means_no_forwarding(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    assert not SingleInstance(tmp_path / "nobody").forward([])


def test_each_data_folder_has_its_own_instance(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")


def test_a_stale_socket_from_a_crash_is_replaced(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crashed = SingleInstance(tmp_path / "data")
    assert crashed.listen()
    crashed._server.close()  # type: ignore[union-attr]  # what a killed process leaves behind
    again = SingleInstance(tmp_path / "data")
    assert again.listen()
    again.close()
