//! A stateful local Vlens that follows the documented business rules.
