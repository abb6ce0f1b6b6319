from support.settings_table import README, current_section, render


def test_readme_settings_table_matches_the_settings_class() -> None:
    assert current_section(README.read_text()) == render(), "run `make docs` to refresh the README table"
