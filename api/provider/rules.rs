//! The accreditors' standard wording, as pure functions: which accreditor stands behind a
//! credit type for this provider, and its accreditation statement.

use crate::{
    activities::dto::CreditType,
    provider::dto::{Accreditation, Accreditor, ProviderInput},
};

/// The accreditors that may stand behind a credit type, the most specific first (a jointly
/// accredited provider awards AMA, ANCC, ACPE and IPCE credit under Joint Accreditation).
fn accreditors_for(credit_type: CreditType) -> &'static [Accreditor] {
    use Accreditor::*;
    match credit_type {
        CreditType::AmaPra1 => &[JointAccreditation, Accme],
        CreditType::Ancc => &[JointAccreditation, Ancc],
        CreditType::Acpe => &[JointAccreditation, Acpe],
        CreditType::Ipce => &[JointAccreditation],
        CreditType::Aapa1 => &[Aapa],
        CreditType::Other => &[],
        _ => &[JointAccreditation, Accme], // MOC rides on AMA PRA Category 1 credit
    }
}

/// The provider's accreditation that covers `credit_type`, if it holds one.
pub fn accreditation_for(profile: &ProviderInput, credit_type: CreditType) -> Option<&Accreditation> {
    accreditors_for(credit_type)
        .iter()
        .find_map(|accreditor| profile.accreditations.iter().find(|a| a.accreditor == *accreditor))
}

/// The accreditation statement: the provider's own wording, or the accreditor's standard one.
pub fn accreditation_statement(profile: &ProviderInput, accreditation: &Accreditation) -> String {
    if let Some(own) = &accreditation.statement {
        return own.clone();
    }
    let name = &profile.legal_name;
    match accreditation.accreditor {
        Accreditor::Accme => format!(
            "{name} is accredited by the Accreditation Council for Continuing Medical Education (ACCME) to \
             provide continuing medical education for physicians."
        ),
        Accreditor::JointAccreditation => format!(
            "In support of improving patient care, {name} is jointly accredited by the Accreditation Council \
             for Continuing Medical Education (ACCME), the Accreditation Council for Pharmacy Education (ACPE), \
             and the American Nurses Credentialing Center (ANCC), to provide continuing education for the \
             healthcare team."
        ),
        Accreditor::Ancc => format!(
            "{name} is accredited as a provider of nursing continuing professional development by the American \
             Nurses Credentialing Center's Commission on Accreditation."
        ),
        Accreditor::Acpe => format!(
            "{name} is accredited by the Accreditation Council for Pharmacy Education as a provider of \
             continuing pharmacy education."
        ),
        Accreditor::Aapa => format!(
            "{name} has been authorized by the American Academy of PAs (AAPA) to award AAPA Category 1 CME \
             credit for activities planned in accordance with AAPA CME Criteria."
        ),
    }
}

/// The joint-providership statement for an activity provided with `partner`: the provider's
/// own wording (`{partner}` replaced), or the ACCME's standard sentence.
pub fn joint_providership_statement(profile: &ProviderInput, partner: &str) -> String {
    match &profile.joint_providership_statement {
        Some(own) => own.replace("{partner}", partner),
        None => format!(
            "This activity has been planned and implemented in accordance with the accreditation requirements \
             and policies of the Accreditation Council for Continuing Medical Education (ACCME) through the \
             joint providership of {} and {partner}.",
            profile.legal_name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(accreditations: Vec<Accreditation>) -> ProviderInput {
        ProviderInput {
            legal_name: "Riverside CE".into(),
            address: "100 University Ave".into(),
            accreditations,
            designation_wording: vec![],
            joint_providership_statement: None,
            signatory_name: None,
            signatory_title: None,
            logo_url: None,
            email: None,
            cebroker_provider_number: None,
        }
    }

    fn held(accreditor: Accreditor) -> Accreditation {
        Accreditation { accreditor, provider_number: None, statement: None }
    }

    #[test]
    fn joint_accreditation_covers_the_team_credits() {
        let joint = profile(vec![held(Accreditor::JointAccreditation), held(Accreditor::Aapa)]);
        for credit_type in
            [CreditType::AmaPra1, CreditType::Ancc, CreditType::Acpe, CreditType::Ipce, CreditType::AbimMoc]
        {
            assert_eq!(
                accreditation_for(&joint, credit_type).unwrap().accreditor,
                Accreditor::JointAccreditation
            );
        }
        assert_eq!(accreditation_for(&joint, CreditType::Aapa1).unwrap().accreditor, Accreditor::Aapa);
        let pharmacy = profile(vec![held(Accreditor::Acpe)]);
        assert!(accreditation_for(&pharmacy, CreditType::AmaPra1).is_none());
        let statement =
            accreditation_statement(&pharmacy, accreditation_for(&pharmacy, CreditType::Acpe).unwrap());
        assert!(statement
            .starts_with("Riverside CE is accredited by the Accreditation Council for Pharmacy Education"));
    }
}
