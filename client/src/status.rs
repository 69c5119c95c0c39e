//! Names for the `requeststatus` values (see the `RequestStatus` schema and its decision).

use crate::types::RequestStatus;

impl RequestStatus {
    /// 1: every new request starts here unless its product is approved automatically.
    pub const PENDING_APPROVAL: RequestStatus = RequestStatus(1);
    /// 2: the request may be activated (StepRequestOtp … StepValidatePayment).
    pub const APPROVED: RequestStatus = RequestStatus(2);
    /// 3: refused by the provider; terminal.
    pub const REJECTED: RequestStatus = RequestStatus(3);
    /// 4: activated by the customer (after StepValidatePayment).
    pub const CUSTOMER_SIGNED: RequestStatus = RequestStatus(4);
    /// 5: countersigned by the provider (value decided by this project; undocumented).
    pub const SERVICE_PROVIDER_SIGNED: RequestStatus = RequestStatus(5);
    /// 6: cancelled (this project's value; undocumented).
    pub const CANCELLED: RequestStatus = RequestStatus(6);
    /// 7: expired (this project's value; undocumented).
    pub const EXPIRED: RequestStatus = RequestStatus(7);
    /// 8: completed (this project's value; undocumented).
    pub const COMPLETED: RequestStatus = RequestStatus(8);

    /// The display name (`requestStatusName`), or `None` for a value the spec does not name.
    pub fn name(&self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Pending Approval",
            2 => "Approved",
            3 => "Rejected",
            4 => "Customer Signed",
            5 => "Service Provider Signed",
            6 => "Cancelled",
            7 => "Expired",
            8 => "Completed",
            _ => return None,
        })
    }
}
