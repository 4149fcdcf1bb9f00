//! urllib3
