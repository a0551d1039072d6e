"""A service's ValidationError shown on the form that called it."""


def add_service_errors(form, error):
    """A service's refusal on the form: each field's at the field, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(None if field == "__all__" or field not in form.fields else field, messages_)
