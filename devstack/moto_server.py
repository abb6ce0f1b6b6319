"""moto's server with the DescribeInstances filter ``iam-instance-profile.arn``, which real EC2 has and moto lacks.

Run by the moto virtual environment's interpreter in isolated mode (``python -I``), so it imports
nothing from this checkout; its arguments are moto's.
"""

from moto.ec2 import utils
from moto.server import main

utils.filter_dict_attribute_mapping["iam-instance-profile.arn"] = "iam_instance_profile.Arn"

if __name__ == "__main__":
    main()
