"""EC2 error codes the emulator answers with.

Each class is named after the AWS error code it stands for and carries the message AWS would
send. The wire layer renders any :class:`EmulatorError` as an EC2 ``<Response><Errors>``
document with the class's HTTP status.
"""

from __future__ import annotations

from typing import ClassVar


class EmulatorError(Exception):
    """Base of every error the emulator reports to a client.

    :param message: the human-readable text sent in ``<Message>``.
    """

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidAction(EmulatorError):
    """The ``Action`` parameter names no operation the emulator serves."""

    code = "InvalidAction"

    def __init__(self, action: str) -> None:
        super().__init__(f"The action {action} is not valid for this web service.")


class MissingAction(EmulatorError):
    """The request carries no ``Action`` parameter at all."""

    code = "MissingAction"

    def __init__(self) -> None:
        super().__init__("The request must contain the parameter Action.")


class MissingParameter(EmulatorError):
    """A member the EC2 model marks as required was not sent."""

    code = "MissingParameter"

    def __init__(self, name: str) -> None:
        super().__init__(f"The request must contain the parameter {name}.")


class InvalidParameterValue(EmulatorError):
    """A parameter has a value outside what the operation accepts."""

    code = "InvalidParameterValue"


class InvalidParameterCombination(EmulatorError):
    """Two parameters were sent that cannot be used together."""

    code = "InvalidParameterCombination"


class InvalidPaginationToken(EmulatorError):
    """A ``NextToken`` that this emulator did not issue."""

    code = "InvalidPaginationToken"

    def __init__(self, token: str) -> None:
        super().__init__(f"The pagination token '{token}' is invalid.")


class InvalidFpgaImageIDMalformed(EmulatorError):
    """An AFI id that is not ``afi-`` followed by 17 lowercase hex digits."""

    code = "InvalidFpgaImageID.Malformed"

    def __init__(self, image_id: str) -> None:
        super().__init__(f"Image ID '{image_id}' is invalid")


class InvalidFpgaImageIDNotFound(EmulatorError):
    """A well-formed AFI id that the caller cannot see in this region."""

    code = "InvalidFpgaImageID.NotFound"

    def __init__(self, image_id: str) -> None:
        super().__init__(f"Image ID '{image_id}' not found")


class InvalidUserIDMalformed(EmulatorError):
    """An owner or load-permission user id that is not a 12-digit account id."""

    code = "InvalidUserID.Malformed"

    def __init__(self, user_id: str) -> None:
        super().__init__(f"User ID '{user_id}' is invalid")


class InvalidID(EmulatorError):
    """A tagging request named a resource that is not an AFI."""

    code = "InvalidID"

    def __init__(self, resource_id: str) -> None:
        super().__init__(f"The ID '{resource_id}' is not valid")


class IdempotentParameterMismatch(EmulatorError):
    """A ``ClientToken`` reused with parameters other than the first request's."""

    code = "IdempotentParameterMismatch"

    def __init__(self) -> None:
        super().__init__(
            "Arguments on this idempotent request are inconsistent with arguments used in "
            "previous request(s)."
        )


class OperationNotPermitted(EmulatorError):
    """The caller may see the AFI but not change it, or the AFI is shared or public."""

    code = "OperationNotPermitted"


class IncorrectState(EmulatorError):
    """The AFI is not ``available``, which the change requires."""

    code = "IncorrectState"

    def __init__(self, image_id: str, state: str) -> None:
        super().__init__(
            f"Image '{image_id}' is in state '{state}'; attributes can be changed only while "
            "it is 'available'."
        )


class ResourceLimitExceeded(EmulatorError):
    """The account already owns as many AFIs in the region as the quota allows."""

    code = "ResourceLimitExceeded"

    def __init__(self, limit: int) -> None:
        super().__init__(f"You have reached the limit of {limit} FPGA images in this region.")


class TagLimitExceeded(EmulatorError):
    """A resource would carry more than 50 tags."""

    code = "TagLimitExceeded"

    def __init__(self, resource_id: str, limit: int) -> None:
        super().__init__(f"The maximum number of tags ({limit}) for '{resource_id}' is exceeded.")


class DryRunOperation(EmulatorError):
    """A ``DryRun`` request that would have succeeded."""

    code = "DryRunOperation"
    status = 412

    def __init__(self) -> None:
        super().__init__("Request would have succeeded, but DryRun flag is set.")


class RequestLimitExceeded(EmulatorError):
    """The request was throttled (fault injection)."""

    code = "RequestLimitExceeded"
    status = 503

    def __init__(self) -> None:
        super().__init__("Request limit exceeded.")


class InternalError(EmulatorError):
    """The server failed; injected on purpose or an unexpected exception."""

    code = "InternalError"
    status = 500

    def __init__(self, message: str = "An internal error has occurred") -> None:
        super().__init__(message)


class AuthFailure(EmulatorError):
    """The access key is unknown, or the request is not signed with SigV4."""

    code = "AuthFailure"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "AWS was not able to validate the provided access credentials")


class SignatureDoesNotMatch(EmulatorError):
    """The access key is known but the signature was made with another secret or request."""

    code = "SignatureDoesNotMatch"

    def __init__(self) -> None:
        super().__init__(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )


class RequestExpired(EmulatorError):
    """The request's ``X-Amz-Date`` is more than 15 minutes from the server's clock."""

    code = "RequestExpired"

    def __init__(self, amz_date: str) -> None:
        super().__init__(f"Request has expired. Timestamp date is {amz_date}")
