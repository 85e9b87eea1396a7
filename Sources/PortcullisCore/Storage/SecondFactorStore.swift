/// Where second factors are looked up (they are written and used through ``WriteStore``:
/// ``StoreWrite/beginTOTP(_:)``, ``StoreWrite/useTOTPStep(accountID:step:)``,
/// ``StoreWrite/useRecoveryCode(accountID:hash:)`` and their kin).
public protocol SecondFactorStore: Sendable {
    /// The account's authenticator-app key, pending or confirmed.
    func totpCredential(accountID: String) async throws -> TOTPCredential?

    /// How many of the account's recovery codes are still unused.
    func unusedRecoveryCodeCount(accountID: String) async throws -> Int

    /// The account's passkeys, oldest first.
    func passkeys(accountID: String) async throws -> [Passkey]

    /// The passkey with this credential id, whichever account it belongs to.
    func passkey(id: String) async throws -> Passkey?
}
