from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


class MembersFileForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        allow_empty_file=True,  # the check says "The file is empty", with the others
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        limit = settings.MEMBERS_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _(
                    "The file is %(size)s; at most %(max)s can be imported at once. Split it into "
                    "smaller files."
                )
                % {"size": filesizeformat(upload.size), "max": filesizeformat(limit)}
            )
        return upload
