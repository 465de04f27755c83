"""The console's import and export pages use django-import-export's own words, and its Chinese
catalogue reads wrong in places ("某些行验数据证失败") or is empty. The project's catalogue comes
first (``LOCALE_PATHS`` before the apps' catalogues), so it can give those words better Chinese;
but ``makemessages`` keeps only the msgids it finds in the project's sources. This module lists
them, exactly as the library writes them, so that they are extracted. It is never imported.
"""

from django.utils.translation import gettext_noop

IMPORT_EXPORT_MESSAGES = (
    # The import page and its preview (import_export/templates/admin/import_export/import.html).
    gettext_noop("This importer will import the following fields: "),
    gettext_noop("File to import"),
    gettext_noop("Format"),
    gettext_noop("Resource"),
    gettext_noop(
        "Below is a preview of data to be imported. If you are satisfied with the results, "
        "click 'Confirm import'"
    ),
    gettext_noop("Confirm import"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop(
        "Please correct these errors in your data where possible, then reupload it using the "
        "form above."
    ),
    gettext_noop("Row"),
    gettext_noop("Line number"),
    gettext_noop("Non field specific"),
    gettext_noop("Skipped"),
    # The import's messages (import_export/admin.py, widgets.py).
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "No valid data to import. Ensure your file has the correct headers or data for import."
    ),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. "
        "Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("Value could not be parsed."),
    # The export page and its messages.
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop("Select all"),
)
