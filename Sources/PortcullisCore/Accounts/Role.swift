/// The rule for role names, one place for the admin API and the `users` commands alike.
public enum Role {
    /// Whether `role` is 1 to 64 characters of `a`–`z`, `0`–`9`, `_`, `-`, `:` or `.`.
    public static func isValid(_ role: String) -> Bool {
        (1...64).contains(role.utf8.count)
            && role.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: ".")].contains(byte)
            }
    }

    /// Refuses a list holding any invalid role.
    public static func validate(_ roles: [String]) throws(PortcullisError) {
        guard roles.allSatisfy(isValid) else {
            throw PortcullisError(.invalidRequest, "Roles are 1 to 64 characters of a-z, 0-9, '_', '-', ':' or '.'.")
        }
    }
}
