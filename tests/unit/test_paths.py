from pathlib import Path

from genoflow_desktop.core import paths


def test_basedir_puts_every_folder_under_it(tmp_path: Path) -> None:
    dirs = paths.resolve_dirs(tmp_path / "base", env={})
    for folder in (dirs.data, dirs.config, dirs.cache, dirs.logs):
        assert folder.is_relative_to(tmp_path / "base")
    assert dirs.database == tmp_path / "base" / "data" / paths.DATABASE_NAME
    assert dirs.temporary_root is None


def test_environment_overrides_each_folder(tmp_path: Path) -> None:
    env = {"GENOFLOW_DATA_DIR": str(tmp_path / "d"), "GENOFLOW_LOG_DIR": str(tmp_path / "l")}
    dirs = paths.resolve_dirs(env=env)
    assert dirs.data == tmp_path / "d"
    assert dirs.logs == tmp_path / "l"
    assert not dirs.config.is_relative_to(tmp_path)  # not overridden: the platform default


def test_basedir_beats_environment(tmp_path: Path) -> None:
    env = {"GENOFLOW_DATA_DIR": str(tmp_path / "d")}
    assert paths.resolve_dirs(tmp_path / "b", env=env).data == tmp_path / "b" / "data"


def test_temp_basedir_is_new_and_marked_temporary() -> None:
    dirs = paths.resolve_dirs(temp_basedir=True, env={})
    try:
        assert dirs.temporary_root is not None and dirs.temporary_root.is_dir()
        assert dirs.data.is_relative_to(dirs.temporary_root)
        dirs.ensure()
        assert dirs.logs.is_dir()
    finally:
        import shutil

        shutil.rmtree(dirs.temporary_root)  # type: ignore[arg-type]
