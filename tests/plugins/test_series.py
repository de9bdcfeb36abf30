import datetime as dt

import numpy as np
import pytest

from workbench.plugins.builtin._series import SeriesError, read_series


def write(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_reads_nab_layout(tmp_path):
    s = read_series(write(tmp_path, "timestamp,value\n2014-07-01 00:00:00,1.5\n2014-07-01 00:30:00,2\n"))
    assert s.timestamps == [dt.datetime(2014, 7, 1, 0, 0), dt.datetime(2014, 7, 1, 0, 30)]
    np.testing.assert_array_equal(s.values, [1.5, 2.0])
    assert s.value_column == "value"


def test_reads_opf_header_and_us_dates(tmp_path):
    s = read_series(write(tmp_path, "timestamp,kw\ndatetime,float\nT,\n7/2/10 0:00,21.2\n7/2/10 1:00,16.4\n"))
    assert s.timestamps[1] == dt.datetime(2010, 7, 2, 1, 0)
    np.testing.assert_array_equal(s.values, [21.2, 16.4])


def test_bad_values_are_skipped_and_counted_or_refused(tmp_path):
    path = write(tmp_path, "timestamp,value\n2014-07-01 00:00:00,1\n2014-07-01 01:00:00,\n"
                           "2014-07-01 02:00:00,abc\n2014-07-01 03:00:00,4\n")
    s = read_series(path)
    np.testing.assert_array_equal(s.values, [1.0, 4.0])
    assert s.skipped_lines == [3, 4]
    with pytest.raises(SeriesError, match=r"s.csv, line 3, column 'value': '' is not a number"):
        read_series(path, on_bad_value="fail")


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("value\n1\n", "no timestamp column"),
    ("timestamp,value\n2014-07-01 00:00:00,1,9\n", "line 2: expected 2 fields, got 3"),
    ("timestamp,value\n2014-13-45 00:00:00,1\n", "line 2, column 'timestamp': cannot read '2014-13-45 00:00:00'"),
    ("timestamp,value\n2014-07-01 00:00:00,x\n", "no usable rows"),
])
def test_malformed_files_name_file_line_and_column(tmp_path, text, message):
    with pytest.raises(SeriesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_series(write(tmp_path, text))


def test_missing_file_and_missing_column(tmp_path):
    with pytest.raises(SeriesError, match="file not found"):
        read_series(tmp_path / "nope.csv")
    with pytest.raises(SeriesError, match=r"no column 'kw' \(columns: timestamp, value\)"):
        read_series(write(tmp_path, "timestamp,value\n2014-07-01 00:00:00,1\n"), value_column="kw")


def test_binary_file_is_refused_clearly(tmp_path):
    path = tmp_path / "b.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(SeriesError, match="not a text"):
        read_series(path)
