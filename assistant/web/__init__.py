"""The web app: Chainlit for employees, facilitators, leadership and administrators.

The only package that imports Chainlit. ``terrain serve`` starts it through :mod:`.launch`;
:mod:`.app` holds the Chainlit handlers, :mod:`.datalayer` maps Chainlit's threads onto the
store's interviews, :mod:`.employee` and :mod:`.staff` are the profiles, and :mod:`.render`
and :mod:`.texts` what they show.
"""
