"""The lists' indexes (registry/models/indexes.py ``list_indexes``): each model's default
order, each sortable field followed by ``public_id`` (read either way), each choice a list
narrows by followed by the default order; and organisations by city, as ``city`` is matched
(``UPPER(city)``). Written out here as they were built when this migration was made.
"""

from django.db import migrations, models
from django.db.models.functions import Upper

# One index a line: model, index name, its fields ("-" descending).
INDEXES = """
facility fac_by_name_en name_en public_id
facility fac_by_opened_on opened_on public_id
facility fac_by_floor_area_m2 floor_area_m2 public_id
facility fac_by_updated_at updated_at public_id
facility fac_by_created_at created_at public_id
facility fac_section_list section name_en public_id
facility fac_kind_list kind name_en public_id
facility fac_status_list status name_en public_id
facility fac_verification_list verification name_en public_id
factorflow flw_list factor direction public_id
factorflow flw_by_period_start period_start public_id
factorflow flw_by_factor factor public_id
factorflow flw_by_direction direction public_id
factorflow flw_by_updated_at updated_at public_id
factorflow flw_by_created_at created_at public_id
organisation org_by_name_en name_en public_id
organisation org_by_established established public_id
organisation org_by_updated_at updated_at public_id
organisation org_by_created_at created_at public_id
organisation org_kind_list kind name_en public_id
organisation org_jurisdiction_list jurisdiction name_en public_id
organisation org_curating_section_list curating_section name_en public_id
organisation org_verification_list verification name_en public_id
organisation org_status_list status name_en public_id
policyinstrument pol_list -issued_on public_id
policyinstrument pol_by_issued_on issued_on public_id
policyinstrument pol_by_effective_on effective_on public_id
policyinstrument pol_by_name_en name_en public_id
policyinstrument pol_by_updated_at updated_at public_id
policyinstrument pol_by_created_at created_at public_id
fundingscheme sch_by_name_en name_en public_id
fundingscheme sch_by_updated_at updated_at public_id
fundingscheme sch_by_created_at created_at public_id
project prj_list -start_date public_id
project prj_by_start_date start_date public_id
project prj_by_end_date end_date public_id
project prj_by_title_en title_en public_id
project prj_by_updated_at updated_at public_id
project prj_by_created_at created_at public_id
project prj_status_list status -start_date public_id
project prj_curating_section_list curating_section -start_date public_id
project prj_cross_border_list cross_border -start_date public_id
project prj_verification_list verification -start_date public_id
output out_list -date public_id
output out_by_date date public_id
output out_by_title_en title_en public_id
output out_by_updated_at updated_at public_id
output out_by_created_at created_at public_id
output out_kind_list kind -date public_id
"""


def add(line: str) -> migrations.AddIndex:
    model, name, *fields = line.split()
    return migrations.AddIndex(model_name=model, index=models.Index(fields=fields, name=name))


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_change_events")]
    operations = [
        *(add(line) for line in INDEXES.strip().splitlines()),
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(Upper("city"), "name_en", "public_id", name="org_city_list"),
        ),
    ]
