"""The app's pages. Each module calls ``dash.register_page`` and holds its layout and callbacks.

Pages never import the app: callbacks use ``dash.callback`` and reach the store through
:func:`app.state.current_state`; component ids come from :mod:`app.ids`.
"""
