// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title ProcoTestSmartWallet
/// @notice The smallest useful EIP-1271 smart-contract wallet, for local-chain tests of contract payers:
/// one owner key, fixed at construction, whose ECDSA signature over a hash makes `isValidSignature`
/// answer the EIP-1271 magic value. It holds ERC-20 balances like any address; an EIP-3009 token
/// (USDC v2.2, ProcoTestUSD) moves them when the owner signs a transfer authorization whose `from` is
/// this wallet, because the token asks the wallet, not ecrecover, whether the signature is good.
/// @dev Only for development chains. There is no execute function: tokens sent here leave only through
/// signed authorizations.
contract ProcoTestSmartWallet {
    /// bytes4(keccak256("isValidSignature(bytes32,bytes)")): the EIP-1271 "valid" answer.
    bytes4 internal constant ERC1271_MAGIC_VALUE = 0x1626ba7e;

    /// What the wallet answers for any signature it does not accept.
    bytes4 internal constant ERC1271_INVALID = 0xffffffff;

    /// n/2 of secp256k1: USDC's ECRecover and OpenZeppelin's ECDSA refuse any larger `s`.
    uint256 internal constant SECP256K1_HALF_ORDER =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// Mask of `s` in an EIP-2098 compact signature's second word (the top bit holds the y-parity).
    bytes32 internal constant COMPACT_S_MASK = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;

    /// @notice The key whose signatures this wallet accepts.
    address public immutable owner;

    constructor(address owner_) {
        require(owner_ != address(0), "ProcoTestSmartWallet: owner is the zero address");
        owner = owner_;
    }

    /// @notice EIP-1271: the magic value iff `signature` is the owner's ECDSA signature of `hash`
    /// itself (no prefix is added), else 0xffffffff. It never reverts.
    /// @param signature Either `r ‖ s ‖ v` (65 bytes, v 27 or 28) or the EIP-2098 compact `r ‖ vs`
    /// (64 bytes). Both obey USDC's rules: `s <= n/2`, and `v` (or the y-parity bit) names one of
    /// the two recovery candidates; anything else is refused.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        return _recoverSigner(hash, signature) == owner ? ERC1271_MAGIC_VALUE : ERC1271_INVALID;
    }

    /// The address that signed `hash`, or the zero address when the signature is malformed, has a
    /// high `s` or a `v` other than 27/28 (the constructor makes sure the owner is never zero).
    function _recoverSigner(bytes32 hash, bytes calldata signature) private pure returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        if (signature.length == 65) {
            r = bytes32(signature[0:32]);
            s = bytes32(signature[32:64]);
            v = uint8(signature[64]);
        } else if (signature.length == 64) {
            r = bytes32(signature[0:32]);
            bytes32 vs = bytes32(signature[32:64]);
            s = vs & COMPACT_S_MASK;
            v = uint8(uint256(vs) >> 255) + 27;
        } else {
            return address(0);
        }
        if (uint256(s) > SECP256K1_HALF_ORDER) return address(0);
        if (v != 27 && v != 28) return address(0);
        // ecrecover itself answers zero for an `r` or `s` off the curve.
        return ecrecover(hash, v, r, s);
    }
}
