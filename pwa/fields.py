"""Form fields shared by several features' forms."""

from wtforms import IntegerField, SelectMultipleField, widgets
from wtforms.validators import NumberRange, Optional


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (rendered one per row by the `field` macro)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class WholeNumberField(IntegerField):
    """An optional whole number in a range, whose "not a number" message says what to enter."""

    def __init__(self, label: str, low: int, high: int, what: str, **kwargs) -> None:
        self.message = f"Please enter {what} from {low} to {high}, as a whole number."
        super().__init__(
            label,
            [Optional(), NumberRange(low, high, self.message)],
            render_kw={"inputmode": "numeric", "min": low, "max": high},
            **kwargs,
        )

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message) from None
