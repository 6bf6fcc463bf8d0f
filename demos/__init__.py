"""One module per tab of the app. Each defines ``create_demo() -> gr.Blocks`` (UI only;
the work is done by :mod:`synth`) and runs alone with ``python -m demos.<tab>``."""
