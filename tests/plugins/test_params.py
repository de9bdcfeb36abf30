import pytest

from workbench.plugins.params import Param, ParamError, parse_assignments, resolve_params


def test_int_param_converts_text_and_checks_range():
    p = Param("n", "int", 5, "count", low=1, high=10)
    assert p.validate("7") == 7
    assert p.validate(3.0) == 3
    with pytest.raises(ParamError, match=r"n: must be between 1 and 10 \(got 11\)"):
        p.validate(11)
    with pytest.raises(ParamError, match="n: expected a whole number"):
        p.validate("seven")
    with pytest.raises(ParamError, match="whole number"):
        p.validate(2.5)


def test_float_bool_choice_and_str():
    assert Param("x", "float", 0.5, low=0, high=1).validate("0.25") == 0.25
    with pytest.raises(ParamError, match="expected a number"):
        Param("x", "float", 0.5).validate("nan")
    b = Param("flag", "bool", True)
    assert b.validate("off") is False and b.validate("Yes") is True and b.validate(1) is True
    with pytest.raises(ParamError, match="true or false"):
        b.validate("maybe")
    c = Param("mode", "choice", "a", choices=("a", "b"))
    with pytest.raises(ParamError, match=r"mode: must be one of a, b \(got 'c'\)"):
        c.validate("c")
    with pytest.raises(ParamError, match="must not be empty"):
        Param("path", "path", "x").validate("")
    assert Param("path", "path", "", optional=True).validate("") == ""


def test_bad_default_is_refused_at_declaration():
    with pytest.raises(ParamError):
        Param("n", "int", 0, low=1)


def test_resolve_lists_valid_names_for_unknown_parameter():
    declared = (Param("a", "int", 1), Param("b", "float", 2.0))
    assert resolve_params(declared, {"b": "3"}) == {"a": 1, "b": 3.0}
    with pytest.raises(ParamError, match="unknown parameter 'c'; valid parameters: a, b"):
        resolve_params(declared, {"c": 1})


def test_parse_assignments():
    assert parse_assignments(["a=1", " b = x=y "]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ParamError, match="name=value"):
        parse_assignments(["novalue"])
