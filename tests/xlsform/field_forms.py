"""Forms in the shapes field teams bring from ODK and KoboToolbox, written at test time.

One per shape of the real forms dmsurvey is tried on: a bilingual plot survey with choices
from CSV files, cascading selects, GPS, photos, calculations and nested repeats; cascading
selects with a code repeated under two parents; `loop`, `or_other` and `or specify other`;
field lists and plain groups; the XLSForm specification's tour of every type. Each maps to
(survey, choices, settings, CSV files beside the form) and to the sheet rows of what the
converter must adapt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .conftest import Sheet, write_xlsform


@dataclass(frozen=True)
class FieldForm:
    survey: Sheet
    choices: Sheet | None = None
    settings: Sheet | None = None
    csv_files: dict[str, str] = field(default_factory=dict)
    # "survey sheet row N: start of the note" for each adaptation the converter lists
    adaptations: tuple[str, ...] = ()

    def write(self, folder: Path, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, text in self.csv_files.items():
            (folder / file_name).write_text(text, encoding="utf-8")
        return write_xlsform(folder / f"{name}.xlsx", self.survey, self.choices, self.settings)


PLOT_SURVEY = FieldForm(
    survey=[
        ["type", "name", "label::Swahili (sw)", "label::English (en)", "required", "relevant",
         "constraint", "calculation", "choice_filter", "appearance", "repeat_count",
         "parameters"],
        ["begin group", "intro", "Utangulizi", "Introduction", None, None, None, None, None,
         "field-list"],
        ["note", "welcome", "Karibu", "Welcome"],
        ["end group"],
        ["select_one enumerator", "leader_name", "Jina", "Team leader", "yes"],
        ["text", "leader_name_other", "Jina jingine", "Other name", "yes",
         "${leader_name} = 'other'"],
        ["text", "leader_number", "Namba", "Phone number", "yes", None,
         "regex(.,'^[0-9]{10}$')"],
        ["start", "start"],
        ["end", "end"],
        ["begin group", "location", "Mahali", "Location"],
        ["select_one_from_file regions.csv", "region_id", "Mkoa", "Region", "yes", None, None,
         None, None, "autocomplete"],
        ["select_one_from_file districts.csv", "district_id", "Wilaya", "District", "yes",
         None, None, None, "region_id=${region_id}"],
        ["geopoint", "center_point", "Kituo", "Plot centre", "yes"],
        ["image", "center_image", "Picha", "Photo of the centre", None, None, None, None, None,
         None, None, "max-pixels=3840"],
        ["integer", "slope", "Mteremko", "Slope (%)", "yes"],
        ["calculate", "slope_radius", None, None, None, None, None,
         "round(15 div (sqrt(cos(atan(${slope} div 100)))),2)"],
        ["end group"],
        ["select_one yes_no", "any_trees", "Miti?", "Any trees?", "yes"],
        ["begin repeat", "trees", "Miti", "Trees", None, "${any_trees} = 'yes'"],
        ["integer", "tag", "Namba", "Tag number", "yes"],
        ["integer", "stem_count", "Mashina", "Number of stems"],
        ["begin repeat", "stems", "Shina", "Stem", None, None, None, None, None, None,
         "${stem_count}"],
        ["integer", "cbh", "Mzunguko", "Circumference (cm)", "yes", None, ". >= 10"],
        ["select_one health", "health_id", "Hali", "Health", "yes"],
        ["decimal", "stem_height", "Urefu", "Height (m)", "${health_id}='dead'"],
        ["end repeat"],
        ["end repeat"],
        ["text", "remarks", "Maoni", "Remarks"],
        ["deviceid", "deviceid"],
    ],
    choices=[
        ["list_name", "name", "label::Swahili (sw)", "label::English (en)"],
        ["enumerator", "aloyce", "Aloyce", "Aloyce"],
        ["enumerator", "other", "Mwingine", "Other"],
        ["yes_no", "yes", "Ndiyo", "Yes"],
        ["yes_no", "no", "Hapana", "No"],
        ["health", "alive", "Hai", "Alive"],
        ["health", "dead", "Mkavu", "Dead"],
    ],
    settings=[["form_title", "form_id", "version"], ["Biomass plot", "biomass_plot", "2022.1"]],
    # districts.csv is missing on purpose: the district's code is then typed as text
    csv_files={"regions.csv": "name,label::Swahili (sw),label::English (en)\n"
                              "1,Lindi,Lindi\n2,Mtwara,Mtwara\n"},
    adaptations=(
        "survey sheet row 12: the choices of 'district_id' are in districts.csv",
        "survey sheet row 25: required only when",
    ),
)

CASCADING_SELECTS = FieldForm(
    survey=[
        ["type", "name", "label", "choice_filter"],
        ["select one states", "state", "State"],
        ["select one counties", "county", "County", "${state}=cf"],
        ["select one cities", "city", "City", "${county}=cf"],
    ],
    choices=[
        ["list name", "name", "label", "cf"],
        ["states", "texas", "Texas"],
        ["states", "washington", "Washington"],
        ["counties", "king", "King", "washington"],
        ["counties", "pierce", "Pierce", "washington"],
        ["counties", "king", "King", "texas"],
        ["cities", "dumont", "Dumont", "king"],
        ["cities", "tacoma", "Tacoma", "pierce"],
    ],
    settings=[["form_title", "form_id", "allow_choice_duplicates"],
              ["cascading selects", "cascading_selects1", "yes"]],
)

FIELD_LIST = FieldForm(
    survey=[
        ["type", "name", "label::english", "hint"],
        ["begin group", "name", None, None],
        ["select_one yes_no", "table_list_question", "table list question", "hint"],
        ["end_group"],
    ],
    choices=[["list_name", "name", "label", "label::chinese"],
             ["yes_no", "yes", "Yes", "是"], ["yes_no", "no", "No", "没有"]],
)

GROUP = FieldForm(
    survey=[
        ["type", "name", "label:English (en)"],
        ["text", "family_name", "What's your family name?"],
        ["begin group", "father", "Father"],
        ["phone number", "phone_number", "What's your father's phone number?"],
        ["integer", "age", "How old is your father?"],
        ["end group"],
    ],
)

LOOP = FieldForm(
    survey=[
        ["type", "name", "label:english"],
        ["select all that apply from toilet_type or specify other", "available_toilet_types",
         "What type of toilets are on the premises?"],
        ["begin loop over toilet_type", "loop_toilet_types"],
        ["integer", "number", "How many %(label)s are on the premises?"],
        ["end loop"],
    ],
    choices=[
        ["list name", "name", "label:english"],
        ["toilet_type", "pit_latrine_with_slab", "Pit latrine with slab"],
        ["toilet_type", "bucket_system", "Bucket system"],
    ],
)

OR_OTHER = FieldForm(
    survey=[
        ["type", "name", "label", "choice_filter"],
        ["select_one colors or_other", "fav_color", "Favourite colour"],
        ["select_one colors", "fav_pastel", "Favourite pastel", "pastel=yes"],
    ],
    choices=[
        ["list_name", "name", "label", "pastel"],
        ["colors", "red", "red", "no"],
        ["colors", "mauve", "mauve", "yes"],
    ],
    adaptations=("survey sheet row 3: choice_filter of 'fav_pastel' names 'yes', which is no "
                 "column of list 'colors'; it is taken as the text 'yes'",),
)

SPECIFY_OTHER = FieldForm(
    survey=[["type", "name", "label:English"],
            ["select one from sexes or specify other", "sex", "What sex are you?"]],
    choices=[["list name", "name", "label:English"],
             ["sexes", "male", "Male"], ["sexes", "female", "Female"]],
)

TEXT_AND_INTEGER = FieldForm(
    survey=[["type", "name", "label:english"], ["text", "your_name", "What is your name?"],
            ["integer", "your_age", "How many years old are you?"]],
)

SPECIFICATION_TOUR = FieldForm(
    survey=[
        ["type", "name", "label::english", "label::chinese", "relevant", "calculation",
         "media::image", "repeat_count"],
        ["select_one yes_no", "skip_to_end", "Skip to the end?", "跳到最后？"],
        ["begin group", "everything", "Everything", "一切", "not(selected(${skip_to_end}, 'yes'))"],
        ["text", "my_name", "Your name", "你的名字"],
        ["note", "display_image_test", None, None, None, None, "img_test.jpg"],
        ["calculate", "repeat_test_count", None, None, None, "2"],
        ["begin repeat", "repeat_test", "Repeat", "重复", None, None, None,
         "${repeat_test_count}"],
        ["select_one yes_no", "label-test", "Label test", "标签"],
        ["select_one yes_no", "list.nolabel.test", "List test", "列表"],
        ["end repeat"],
        ["acknowledge", "acknowledge_test", "Acknowledge", "确认"],
        ["date", "date_test", "Date", "日期"],
        ["time", "time_test", "Time", "时间"],
        ["datetime", "datetime_test", "Date and time", "日期时间"],
        ["geopoint", "geopoint_test", "Location", "位置"],
        ["barcode", "barcode_test", "Barcode", "条形码"],
        ["image", "image_test", "Image", "图片"],
        ["audio", "audio_test", "Audio", "音频"],
        ["video", "video_test", "Video", "视频"],
        ["calculate", "calculate_test", None, None, None, "2+2"],
        ["start", "start"],
        ["end", "end"],
        ["today", "today"],
        ["deviceid", "deviceid"],
        ["phonenumber", "phonenumber"],
        ["start-geopoint", "where_started"],
        ["text", "_1", "One", "一"],
        ["end group"],
    ],
    choices=[["list_name", "name", "label::english", "label::chinese"],
             ["yes_no", "yes", "Yes", "是"], ["yes_no", "no", "No", "否"]],
    adaptations=(
        "survey sheet row 26: 'where_started' (start-geopoint) cannot be recorded in a terminal",
    ),
)

YES_OR_NO = FieldForm(
    survey=[["type", "name", "label:english"],
            ["select one from yes_or_no", "good_day", "have you had a good day today?"]],
    choices=[["list name", "name", "label:english"],
             ["yes_or_no", "yes", "yes"], ["yes_or_no", "no", "no"]],
)

FIELD_FORMS = {
    "plot_survey": PLOT_SURVEY,
    "cascading_selects": CASCADING_SELECTS,
    "field_list": FIELD_LIST,
    "group": GROUP,
    "loop": LOOP,
    "or_other": OR_OTHER,
    "specify_other": SPECIFY_OTHER,
    "text_and_integer": TEXT_AND_INTEGER,
    "specification_tour": SPECIFICATION_TOUR,
    "yes_or_no": YES_OR_NO,
}
